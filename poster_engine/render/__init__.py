"""One job → its bytes: compose, export, alt text, and the key of what it depends on."""
