from govshare.cli import main

main()
