// Package quarantine clears a run directory of what the governed job left
// where cohos writes its evidence, and of names the evidence cannot
// represent, without losing any of it: each such entry (file, directory,
// symbolic link, FIFO, anything) is moved, never followed or read, into a
// quarantine folder inside the run directory, under a name anyone can
// read, and listed. The moved files stay members of the artifact set, so
// they are attested too.
//
// Use it only once every process of the job is gone: the directory is the
// job's, and its contents are hostile.
package quarantine

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Folder is the preferred name of the quarantine folder; when the job left
// something of that name, Folder-2, Folder-3, ... are tried.
const Folder = "quarantine"

// maxFolders bounds the numbered names tried for the folder, maxSuffix
// those tried for an entry; random names follow.
const (
	maxFolders = 64
	maxSuffix  = 1000
)

// Item is one entry moved into quarantine.
type Item struct {
	// Name is where the entry was, relative to the run directory (raw
	// bytes: it may be invalid UTF-8).
	Name string
	// Kind is "file", "directory", "symlink", "fifo", "socket", "device"
	// or "other".
	Kind string
	// To is where it is now, relative to the run directory.
	To string
	// Why says why it was moved.
	Why string
}

// Problem describes the item for a run's problems: the original name is
// quoted (Go syntax) so that it is printable whatever its bytes.
func (it Item) Problem() string {
	return fmt.Sprintf("%s: the job left a %s at %s; moved to %s", it.Why, it.Kind, strconv.Quote(it.Name), it.To)
}

// Dir is the quarantine of one run directory.
type Dir struct {
	root   *os.Root
	folder string // "" until the first item
	items  []Item
	opened []string // what the job had locked and cohos opened again
}

// Open opens the run directory dir for clearing. A run directory the job
// made unwritable, unreadable or unsearchable is made so again (cohos owns
// it) and listed by Opened.
func Open(dir string) (*Dir, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("quarantine: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("quarantine: %s is not a directory", dir)
	}
	var opened []string
	if perm := fi.Mode().Perm(); perm&0o700 != 0o700 {
		if err := os.Chmod(dir, perm|0o700); err != nil {
			return nil, fmt.Errorf("quarantine: make %s writable again: %w", dir, err)
		}
		opened = append(opened, fmt.Sprintf("the job locked the run directory (mode %04o); cohos made it writable again", perm))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("quarantine: %w", err)
	}
	return &Dir{root: root, opened: opened}, nil
}

// Opened describes, as run problems, what the job had locked and cohos
// opened again: the run directory made unwritable, a directory or file
// below it made unreadable (see Unrepresentable).
func (d *Dir) Opened() []string { return d.opened }

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// Items lists what was moved, in order.
func (d *Dir) Items() []Item { return d.items }

// Clear moves whatever is at name (a slash-separated path below the run
// directory) into quarantine, for why. It reports whether anything was
// there. Parents of name that are not directories (a symbolic link
// included) count as nothing there: nothing below them is reachable.
func (d *Dir) Clear(name, why string) (bool, error) {
	fi, err := d.root.Lstat(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDirParent) || isNotDir(err) {
			return false, nil
		}
		return false, fmt.Errorf("quarantine: %s: %w", name, err)
	}
	return true, d.move(name, kind(fi.Mode()), why)
}

// Keep moves whatever is at name into quarantine unless keep says it is
// what cohos put there. keep gets the entry's Lstat; it is not called when
// nothing is there.
func (d *Dir) Keep(name, why string, keep func(fs.FileInfo) bool) (bool, error) {
	fi, err := d.root.Lstat(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
			return false, nil
		}
		return false, fmt.Errorf("quarantine: %s: %w", name, err)
	}
	if keep(fi) {
		return false, nil
	}
	return true, d.move(name, kind(fi.Mode()), why)
}

// errNotDirParent stands for ENOTDIR from a parent that is a file.
var errNotDirParent = errors.New("parent is not a directory")

func isNotDir(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "not a directory")
}

// move renames name into the quarantine folder under its escaped name.
func (d *Dir) move(name, kind, why string) error {
	return d.moveTo(name, "", kind, why)
}

// moveTo renames name to to ("": the quarantine folder, under the escaped
// name), adding ~2, ~3, ... when that is taken.
func (d *Dir) moveTo(name, to, kind, why string) error {
	if err := d.ensureFolder(); err != nil {
		return err
	}
	if to == "" {
		to = path.Join(d.folder, Escape(name))
	}
	base := to
	for n := 2; ; n++ {
		if _, err := d.root.Lstat(to); errors.Is(err, fs.ErrNotExist) {
			break
		}
		switch {
		case n > maxSuffix+maxFolders:
			return fmt.Errorf("quarantine: no free name for %s", base)
		case n > maxSuffix:
			// The job made every numbered name: a random one it cannot
			// have guessed.
			r, err := randomSuffix()
			if err != nil {
				return err
			}
			to = base + "~" + r
			continue
		}
		to = base + "~" + strconv.Itoa(n)
	}
	if err := d.root.Rename(name, to); err != nil {
		return fmt.Errorf("quarantine: move %s: %w", strconv.Quote(name), err)
	}
	d.items = append(d.items, Item{Name: name, Kind: kind, To: to, Why: why})
	return nil
}

// ensureFolder creates the quarantine folder: a new directory cohos made,
// whatever the job left at the preferred name.
func (d *Dir) ensureFolder() error {
	if d.folder != "" {
		return nil
	}
	for n := 1; n <= 2*maxFolders; n++ {
		name := Folder
		switch {
		case n > maxFolders:
			// The job made every numbered name: a random one it
			// cannot have guessed.
			r, err := randomSuffix()
			if err != nil {
				return err
			}
			name += "-" + r
		case n > 1:
			name += "-" + strconv.Itoa(n)
		}
		err := d.root.Mkdir(name, 0o755)
		if err == nil {
			d.folder = name
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("quarantine: %w", err)
		}
	}
	return fmt.Errorf("quarantine: no free name for the %s folder", Folder)
}

// randomSuffix returns 16 random hex digits.
func randomSuffix() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("quarantine: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Escape returns name as a single path element of printable ASCII: bytes
// other than letters, digits, '.', '_', '-' and '+' become %XX (so '/' is
// %2F and a name of dots cannot be "." or "..").
func Escape(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '+':
			b.WriteByte(c)
		case c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Representable reports whether the evidence can name an entry called
// elem: valid UTF-8 without NUL, CR or LF.
func Representable(elem string) bool {
	return utf8.ValidString(elem) && !strings.ContainsAny(elem, "\x00\r\n")
}

// kind names a file type.
func kind(m fs.FileMode) string {
	switch t := m.Type(); {
	case t.IsRegular():
		return "file"
	case t.IsDir():
		return "directory"
	case t&fs.ModeSymlink != 0:
		return "symlink"
	case t&fs.ModeNamedPipe != 0:
		return "fifo"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return "device"
	}
	return "other"
}
