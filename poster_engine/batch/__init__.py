"""Jobs → files in the build folder: the build recipe, outputs written atomically, the manifest, executors."""
