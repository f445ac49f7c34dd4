from giliran.entrypoints.cli import main

main()
