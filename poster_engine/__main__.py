from poster_engine.cli import main

main()
