from fkgraph.cli import main

main()
