@echo off
rem Piket agent: install on this machine. From an elevated prompt (Run as administrator):
rem     install.cmd https://piket.example.com ENROLLMENT_TOKEN
rem Copies piket-agent.exe and piket-desktop.exe to %ProgramFiles%\Piket, enrolls the machine (the identity goes to
rem %ProgramData%\Piket\config.toml, readable by SYSTEM and Administrators only), registers the
rem scheduled task "Piket Agent" (piket-agent-task.xml: at start-up, as SYSTEM, running
rem piket-agent.exe --config "%ProgramData%\Piket\config.toml" run) and starts the desktop
rem helper at every user's sign-in (HKLM Run key, with the server).  Running it again upgrades and re-enrolls.
setlocal
if "%~2"=="" (
  echo Usage: install.cmd SERVER_URL ENROLLMENT_TOKEN
  exit /b 2
)
rem "net session" succeeds only with an administrator's elevated token.
net session >nul 2>&1
if errorlevel 1 (
  echo install.cmd must run from an elevated prompt: right-click, Run as administrator.
  exit /b 1
)

set "DEST=%ProgramFiles%\Piket"
set "DATA=%ProgramData%\Piket"
set "CONFIG=%ProgramData%\Piket\config.toml"
set "TASK=Piket Agent"

rem An agent already running (an upgrade) holds the .exe open.
schtasks /End /TN "%TASK%" >nul 2>&1
if not exist "%DEST%" mkdir "%DEST%"
copy /Y "%~dp0piket-agent.exe" "%DEST%\piket-agent.exe" >nul
if not errorlevel 1 copy /Y "%~dp0piket-desktop.exe" "%DEST%\piket-desktop.exe" >nul
if errorlevel 1 (
  echo Cannot copy piket-agent.exe to "%DEST%": close the Piket desktop helper and try again.
  exit /b 1
)

rem The data folder: SYSTEM and Administrators (well-known SIDs, so any display language)
rem control it and what is created in it (config.toml, which holds the device secret); Users
rem may open the folder but read no file in it, except device-id, opened below.
if not exist "%DATA%" mkdir "%DATA%"
icacls "%DATA%" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F *S-1-5-32-545:RX >nul
if errorlevel 1 (
  echo Cannot set the permissions of "%DATA%".
  exit /b 1
)

rem The token goes through the environment, not the command line other users can see.
set "PIKET_AGENT_TOKEN=%~2"
"%DEST%\piket-agent.exe" --config "%CONFIG%" enroll --server "%~1"
if errorlevel 1 exit /b 1
set "PIKET_AGENT_TOKEN="
rem The device id alone (no secret): the desktop helper, running as the user, reads it.
icacls "%DATA%\device-id" /grant *S-1-5-32-545:R >nul

rem A task definition rather than schtasks /SC ONSTART, whose defaults stop a task after 72
rem hours (the agent runs for weeks) and keep it from starting on battery (laptops). No restart
rem on failure: the agent retries by itself, and its exit after a refused secret (status 4)
rem must not become a retry every few minutes. Task Scheduler expands %%ProgramFiles%% and
rem %%ProgramData%% in the task's command.
schtasks /Create /TN "%TASK%" /XML "%~dp0piket-agent-task.xml" /F >nul
if errorlevel 1 (
  echo Cannot register the scheduled task "%TASK%".
  exit /b 1
)
schtasks /Run /TN "%TASK%" >nul 2>&1

reg add "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run" /v "Piket Desktop" /t REG_SZ /d "\"%DEST%\piket-desktop.exe\" --server %~1" /f >nul
if errorlevel 1 (
  echo Cannot register the desktop helper in the Run key.
  exit /b 1
)

echo Piket agent installed: reports now and every day; the desktop helper starts at next sign-in.
exit /b 0
