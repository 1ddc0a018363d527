package saasfake

// The fakes' data sets derive everything from indices and a data set version, so tests and
// ftest fixtures can compute what a source must produce. Every collection changes the same
// way from version 1 to version 2: these functions say how.

// Exists says whether item n (1-based) of a collection of size per exists in a data set
// version: version 2 removes every n ≡ 1 (mod 20) and adds n = per+1.
func Exists(version, per, n int) bool {
	if n < 1 {
		return false
	}
	if version >= 2 {
		if n == per+1 {
			return true
		}
		if n%20 == 1 {
			return false
		}
	}
	return n <= per
}

// Modified says whether item n has its version 2 content.
func Modified(version, per, n int) bool { return version >= 2 && n <= per && n%20 == 2 }

// Items lists the numbers of the items that exist in a version, in order.
func Items(version, per int) []int {
	var out []int
	for n := 1; n <= per+1; n++ {
		if Exists(version, per, n) {
			out = append(out, n)
		}
	}
	return out
}

// Count is how many items of a collection of size per exist in a version.
func Count(version, per int) int { return len(Items(version, per)) }
