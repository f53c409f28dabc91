"""Makes a Captum source checkout importable with Debian's torch (Captum is not packaged in Debian):
CAPTUM_PATH names the checkout; its optional display dependencies (tqdm, matplotlib, IPython), which
only progress bars and plots use, become empty stand-ins when they are not installed.
Used by check_explain_captum.py and check_gradcam_deletion.py: `import captum_path` before `import captum`."""
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from unittest import mock

CAPTUM = os.environ.get('CAPTUM_PATH')
if not CAPTUM:
    sys.exit('set CAPTUM_PATH to a Captum source checkout (the directory holding captum/)')
sys.path.insert(0, CAPTUM)


class _Stubs(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Empty modules for Captum's optional display dependencies, when they are not installed."""
    NAMES = ('tqdm', 'matplotlib', 'mpl_toolkits', 'IPython')

    def __init__(self):
        self.missing = {n for n in self.NAMES if importlib.util.find_spec(n) is None}

    def find_spec(self, name, path, target=None):
        if name.split('.')[0] not in self.missing:
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec):
        m = mock.MagicMock()
        m.__path__ = []
        m.__spec__ = spec
        return m

    def exec_module(self, m):
        pass


sys.meta_path.insert(0, _Stubs())
warnings.filterwarnings('ignore')
