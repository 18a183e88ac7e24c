package desktop

// For the tests of package desktop_test.
var (
	Prerender    = prerender
	FormatNumber = formatNumber
	FormatDate   = formatDate
)
