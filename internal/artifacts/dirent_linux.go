package artifacts

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

var errBadDirent = errors.New("malformed directory entry")

// unknownType marks a directory entry whose type getdents did not give.
const unknownType = ^fs.FileMode(0)

type dirent struct {
	name string
	typ  fs.FileMode // unknownType when getdents did not say
}

// readDir lists the directory fd, called dir in the walk, sorted by name.
func (w *walker) readDir(fd int, dir func() string) ([]dirent, error) {
	var ents []dirent
	for {
		var n int
		err := ignoringEINTR(func() (err error) { n, err = unix.Getdents(fd, w.buf); return err })
		if err != nil {
			path := dir()
			return nil, fmt.Errorf("walk %s: %w", path, &fs.PathError{Op: "readdirent", Path: path, Err: err})
		}
		if n <= 0 {
			break
		}
		if ents, err = parseDirents(w.buf[:n], ents); err != nil {
			return nil, fmt.Errorf("walk %s: %w", dir(), err)
		}
	}
	slices.SortFunc(ents, func(a, b dirent) int { return strings.Compare(a.name, b.name) })
	return ents, nil
}

// parseDirents appends the entries of the linux_dirent64 records in b,
// except "." and "..", to ents.
func parseDirents(b []byte, ents []dirent) ([]dirent, error) {
	const (
		reclenOff = unsafe.Offsetof(unix.Dirent{}.Reclen)
		typeOff   = unsafe.Offsetof(unix.Dirent{}.Type)
		nameOff   = unsafe.Offsetof(unix.Dirent{}.Name)
	)
	for len(b) > 0 {
		if len(b) < int(nameOff) {
			return ents, errBadDirent
		}
		reclen := int(binary.NativeEndian.Uint16(b[reclenOff:]))
		if reclen <= int(nameOff) || reclen > len(b) {
			return ents, errBadDirent
		}
		rec := b[:reclen]
		b = b[reclen:]
		name := rec[nameOff:]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if len(name) == 0 {
			return ents, errBadDirent
		}
		if string(name) == "." || string(name) == ".." {
			continue
		}
		ents = append(ents, dirent{name: string(name), typ: direntType(rec[typeOff])})
	}
	return ents, nil
}

// direntType maps a getdents d_type as os.File.ReadDir does.
func direntType(t uint8) fs.FileMode {
	switch t {
	case unix.DT_REG:
		return 0
	case unix.DT_DIR:
		return fs.ModeDir
	case unix.DT_LNK:
		return fs.ModeSymlink
	case unix.DT_FIFO:
		return fs.ModeNamedPipe
	case unix.DT_SOCK:
		return fs.ModeSocket
	case unix.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.DT_BLK:
		return fs.ModeDevice
	}
	return unknownType
}

// modeType maps the file type bits of a stat st_mode as os.Lstat does.
func modeType(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFREG:
		return 0
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	}
	return fs.ModeIrregular
}
