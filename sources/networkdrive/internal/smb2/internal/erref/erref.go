package erref
