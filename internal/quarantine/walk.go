package quarantine

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
)

// Unrepresentable moves every entry below the run directory whose name
// the evidence cannot represent (see Representable) into quarantine, under
// its escaped name, makes every directory the job left unreadable,
// unsearchable or unwritable usable again, and every regular file it
// left unreadable to its owner readable again (both listed by Opened when
// reading had been taken away). The walk is one pass over the tree (plus
// the moved directories, which may hold more such names).
func (d *Dir) Unrepresentable() error {
	queue := []string{"."}
	inQuarantine := map[string]bool{}
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		entries, err := d.readDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			name := path.Join(dir, e.Name())
			if !Representable(e.Name()) {
				// Below a directory already moved, the entry is renamed
				// where it is.
				to := ""
				if inQuarantine[dir] {
					to = path.Join(dir, Escape(e.Name()))
				}
				if err := d.moveTo(name, to, kind(e.Type()), "name the evidence cannot represent"); err != nil {
					return err
				}
				if e.IsDir() {
					moved := d.items[len(d.items)-1].To
					inQuarantine[moved] = true
					queue = append(queue, moved)
				}
				continue
			}
			if e.IsDir() {
				inQuarantine[name] = inQuarantine[dir]
				queue = append(queue, name)
			}
			if e.Type().IsRegular() {
				if err := d.readable(name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readable makes the regular file name readable to its owner again when
// the job took that away: cohos must read every file it attests.
func (d *Dir) readable(name string) error {
	fi, err := d.root.Lstat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return nil // gone or replaced since listed: nothing of the job runs
	}
	perm := fi.Mode().Perm()
	if perm&0o400 != 0 {
		return nil
	}
	if err := d.root.Chmod(name, perm|0o400); err != nil {
		return fmt.Errorf("quarantine: make %s readable again: %w", strconv.Quote(name), err)
	}
	d.opened = append(d.opened, fmt.Sprintf("the job made the file %s unreadable (mode %04o); cohos made it readable again", strconv.Quote(name), perm))
	return nil
}

// readDir lists dir, first making it readable, writable and searchable
// again when the job took that away (cohos writes into some of them).
func (d *Dir) readDir(dir string) ([]fs.DirEntry, error) {
	fi, err := d.root.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("quarantine: %s: %w", dir, err)
	}
	if perm := fi.Mode().Perm(); fi.IsDir() && perm&0o700 != 0o700 {
		if err := d.root.Chmod(dir, perm|0o700); err != nil {
			return nil, fmt.Errorf("quarantine: make %s writable again: %w", dir, err)
		}
		if perm&0o500 != 0o500 {
			d.opened = append(d.opened, fmt.Sprintf("the job made the directory %s unreadable (mode %04o); cohos made it readable again", strconv.Quote(dir), perm))
		}
	}
	entries, err := fs.ReadDir(d.root.FS(), dir)
	if err != nil {
		return nil, fmt.Errorf("quarantine: read %s: %w", dir, err)
	}
	return entries, nil
}
