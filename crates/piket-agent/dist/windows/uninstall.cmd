@echo off
rem Piket agent: remove from this machine. From an elevated prompt: uninstall.cmd
rem Stops and deletes the scheduled task, the desktop helper's Run entry, the program and its
rem data (the device identity). Revoke the device in Piket too (menu Agents, Enrolled devices).
setlocal
net session >nul 2>&1
if errorlevel 1 (
  echo uninstall.cmd must run from an elevated prompt: right-click, Run as administrator.
  exit /b 1
)
schtasks /End /TN "Piket Agent" >nul 2>&1
schtasks /Delete /TN "Piket Agent" /F >nul 2>&1
reg delete "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run" /v "Piket Desktop" /f >nul 2>&1
rem Desktop helpers still running in users' sessions hold the .exe open.
taskkill /F /IM piket-desktop.exe >nul 2>&1
taskkill /F /IM piket-agent.exe >nul 2>&1
rmdir /S /Q "%ProgramFiles%\Piket" 2>nul
rmdir /S /Q "%ProgramData%\Piket" 2>nul
if exist "%ProgramFiles%\Piket" (
  echo Could not remove "%ProgramFiles%\Piket": remove it by hand.
  exit /b 1
)
echo Piket agent removed.
exit /b 0
