from artoiscast.cli import main

main()
