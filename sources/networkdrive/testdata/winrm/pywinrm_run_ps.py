# Runs one PowerShell command with pywinrm, the WinRM client of the original connector, the way
# its SecurityInfo does (NTLM transport, certificate checks off), and prints the standard output.
# Used by TestFakeWinRMAgainstPywinrm when NETWORK_DRIVE_PYWINRM names a Python with pywinrm.
import sys

import winrm

url, user, password, script = sys.argv[1:5]
session = winrm.Session(url, auth=(user, password), transport="ntlm", server_cert_validation="ignore")
result = session.run_ps(script)
sys.stdout.write(result.std_out.decode())
sys.exit(result.status_code)
