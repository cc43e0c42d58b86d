import RecurCLI

Recur.main()
