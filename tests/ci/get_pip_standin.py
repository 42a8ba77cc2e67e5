"""Stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test (2.19) creates each managed virtualenv without pip and then runs
a cached copy of https://ci-files.testing.ansible.com/ansible-test/get-pip-<version>.py
inside it. Where that host cannot be reached, this file is placed in the
cache under the same name. It installs pip from the interpreter's bundled
wheel with ensurepip and then runs `pip install` with the arguments ansible-test
passed, so the pinned pip version still comes from the package index.
"""

import subprocess
import sys

# get-pip.py accepts these options, but `pip install` does not.
GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    pip_arguments = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]

    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])

    return subprocess.call([sys.executable, "-m", "pip", "install", *pip_arguments])


if __name__ == "__main__":
    sys.exit(main())
