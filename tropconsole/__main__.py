from tropconsole.cli import main

raise SystemExit(main())
