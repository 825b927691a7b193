"""Entry point of the packaged client (PyInstaller).

``--smoke-screenshot`` is for ``packaging/build.sh`` only: it runs the GUI smoke test
(``billclient.gui.smoke``). Everything else is the ordinary ``billclient`` command.
"""

import sys

from billclient.__main__ import main

if __name__ == "__main__":
    if sys.argv[1:2] == ["--smoke-screenshot"]:
        from billclient.gui.smoke import main as smoke

        sys.exit(smoke(sys.argv[2:]))
    main()
