//go:build race

package recipientcsv_test

const raceEnabled = true
