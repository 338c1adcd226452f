from annotator.cli import main

# Guarded: a process started by ``spawn`` (the model's training process) imports this module
# again as ``__mp_main__``, and must not run the command line.
if __name__ == "__main__":
    main()
