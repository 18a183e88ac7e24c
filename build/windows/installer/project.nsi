# The Resonanz installer: Wails' NSIS template (wails build -nsis), changed where
# the product needs it. `make dist` (scripts/dist.sh) builds it in a staged copy
# of the tree, after writing version.nsh beside this file.
#  - Target amd64-unicode: a 64-bit installer stub (Wails' template makes a
#    32-bit one; the product is amd64 only, and wine64 runs only 64-bit stubs).
#  - It installs the console program too: $INSTDIR\bin\resonanz.exe beside the
#    window program $INSTDIR\Resonanz.exe (one folder cannot hold both: Windows
#    file names ignore case), and puts $INSTDIR\bin on the machine's PATH.
#  - LZMA compression (smaller download).
#  - The user's data (%APPDATA%\Resonanz) is never touched by the uninstaller.
Target amd64-unicode
# LZMA over the whole installer: 11 MB instead of 16 MB with NSIS' default zlib
# (it costs some 35 s of CPU time in make dist).
SetCompressor /SOLID lzma

# version.nsh (written by scripts/dist.sh): INFO_PRODUCTVERSION (the version
# from git describe), INFO_NUMVERSION (its four numbers for the version
# resource), ARG_CONSOLE_BINARY.
!include /NONFATAL "version.nsh"
!define INFO_PROJECTNAME "Resonanz"
!define INFO_COMPANYNAME "Resonanz"
!define INFO_PRODUCTNAME "Resonanz"
!define UNINST_KEY_NAME  "Resonanz"
!define PRODUCT_EXECUTABLE "Resonanz.exe"
!ifndef INFO_NUMVERSION
    !define INFO_NUMVERSION "0.0.0.0"
!endif
!ifndef ARG_CONSOLE_BINARY
    !define ARG_CONSOLE_BINARY "..\..\bin\console\resonanz.exe"
!endif

!include "wails_tools.nsh"
!include "LogicLib.nsh"
!include "WordFunc.nsh"
!include "WinMessages.nsh"

VIProductVersion "${INFO_NUMVERSION}"
VIFileVersion    "${INFO_NUMVERSION}"

VIAddVersionKey "CompanyName"     "${INFO_COMPANYNAME}"
VIAddVersionKey "FileDescription" "${INFO_PRODUCTNAME} Installer"
VIAddVersionKey "ProductVersion"  "${INFO_PRODUCTVERSION}"
VIAddVersionKey "FileVersion"     "${INFO_PRODUCTVERSION}"
VIAddVersionKey "LegalCopyright"  "${INFO_COPYRIGHT}"
VIAddVersionKey "ProductName"     "${INFO_PRODUCTNAME}"

ManifestDPIAware true

!include "MUI.nsh"

!define MUI_ICON "..\icon.ico"
!define MUI_UNICON "..\icon.ico"
!define MUI_FINISHPAGE_NOAUTOCLOSE
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${PRODUCT_EXECUTABLE}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "German"
!insertmacro MUI_LANGUAGE "English"

## Signing when a certificate exists (see the README, "Install"):
#!uninstfinalize 'osslsigncode sign -pkcs12 cert.p12 -readpass pass.txt -t http://timestamp.digicert.com -in "%1" -out "%1.signed" && mv "%1.signed" "%1"'
#!finalize 'osslsigncode sign -pkcs12 cert.p12 -readpass pass.txt -t http://timestamp.digicert.com -in "%1" -out "%1.signed" && mv "%1.signed" "%1"'

Name "${INFO_PRODUCTNAME}"
OutFile "..\..\bin\${INFO_PROJECTNAME}-${INFO_PRODUCTVERSION}-windows-${ARCH}-setup.exe"
InstallDir "$PROGRAMFILES64\${INFO_PRODUCTNAME}"
ShowInstDetails show

!define ENV_KEY "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"

Function .onInit
   !insertmacro wails.checkArchitecture
FunctionEnd

Section
    !insertmacro wails.setShellContext

    !insertmacro wails.webview2runtime

    SetOutPath $INSTDIR
    !insertmacro wails.files
    SetOutPath $INSTDIR\bin
    File "/oname=resonanz.exe" "${ARG_CONSOLE_BINARY}"
    SetOutPath $INSTDIR

    CreateShortcut "$SMPROGRAMS\${INFO_PRODUCTNAME}.lnk" "$INSTDIR\${PRODUCT_EXECUTABLE}"
    CreateShortCut "$DESKTOP\${INFO_PRODUCTNAME}.lnk" "$INSTDIR\${PRODUCT_EXECUTABLE}"

    # The console program on the PATH. NSIS strings hold 1024 characters: a
    # longer PATH is left alone (the README says how to call the program then).
    ClearErrors
    ReadRegStr $0 HKLM "${ENV_KEY}" "Path"
    StrLen $1 $0
    ${If} ${Errors}
    ${OrIf} $1 > 900
        DetailPrint "PATH not changed: call $INSTDIR\bin\resonanz.exe"
    ${Else}
        ${WordReplace} "$0" ";$INSTDIR\bin" "" "+" $0
        WriteRegExpandStr HKLM "${ENV_KEY}" "Path" "$0;$INSTDIR\bin"
        SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
    ${EndIf}

    !insertmacro wails.writeUninstaller
SectionEnd

Section "uninstall"
    !insertmacro wails.setShellContext

    # The WebView2 data of the window (not Resonanz's data, which stays in
    # %APPDATA%\Resonanz).
    RMDir /r "$AppData\${PRODUCT_EXECUTABLE}"

    RMDir /r $INSTDIR

    Delete "$SMPROGRAMS\${INFO_PRODUCTNAME}.lnk"
    Delete "$DESKTOP\${INFO_PRODUCTNAME}.lnk"

    ClearErrors
    ReadRegStr $0 HKLM "${ENV_KEY}" "Path"
    StrLen $1 $0
    ${IfNot} ${Errors}
    ${AndIf} $1 <= 1000
        ${un.WordReplace} "$0" ";$INSTDIR\bin" "" "+" $2
        ${If} $2 != $0
            WriteRegExpandStr HKLM "${ENV_KEY}" "Path" "$2"
            SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
        ${EndIf}
    ${EndIf}

    !insertmacro wails.deleteUninstaller
SectionEnd
