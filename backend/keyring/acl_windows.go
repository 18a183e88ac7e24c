package keyring

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// restrictDir gives the secrets folder the Windows counterpart of mode 0700:
// a protected access list (nothing inherited from %APPDATA%) that lets only
// the current user in; the files created in it inherit that entry.
func restrictDir(dir string) error {
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return fmt.Errorf("secrets folder: current user: %w", err)
	}
	sd, err := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;" + user.User.Sid.String() + ")")
	if err != nil {
		return fmt.Errorf("secrets folder: access list: %w", err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("secrets folder: access list: %w", err)
	}
	err = windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
	if err != nil {
		return fmt.Errorf("secrets folder: set access list of %s: %w", dir, err)
	}
	return nil
}
