"""The main window's pages and their dialogs."""
