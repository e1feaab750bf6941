// Package procsec hardens the cohos process against the jobs it governs.
package procsec
