package extract

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// extractXLSX reads every worksheet with excelize's row iterator: a line with the sheet name, then one line
// per row with cells separated by tabs, cells shown with their number formats applied.
//
// excelize unpacks the package up front; maxUnzipped caps that (it checks the sizes in the zip headers, and
// archive/zip refuses entries that expand past their header), and sheets larger than xmlInMemory are
// spilled to temporary files instead of memory.
func extractXLSX(ctx context.Context, data []byte, maxUnzipped int64, t *textBuf) error {
	if bytes.HasPrefix(data, oleMagic) {
		return ErrEncrypted
	}
	xmlInMemory := min(int64(16<<20), maxUnzipped)
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    maxUnzipped,
		UnzipXMLSizeLimit: xmlInMemory,
	})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		// excelize reports its unzip limit with a formatted error, not a sentinel.
		if strings.Contains(err.Error(), "unzip size exceeds") {
			return fmt.Errorf("%w: spreadsheet expands to more than %d bytes (the local extractor's limit on unpacked bytes)", ErrTooLarge, maxUnzipped)
		}
		return malformed("spreadsheet: %v", err)
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, err := f.Rows(sheet)
		if err != nil {
			return malformed("sheet %q: %v", sheet, err)
		}
		t.sep(sepPara)
		if err := t.raw(sheet); err != nil {
			_ = rows.Close()
			return err
		}
		t.sep(sepLine)
		err = xlsxRows(ctx, rows, t)
		_ = rows.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func xlsxRows(ctx context.Context, rows *excelize.Rows, t *textBuf) error {
	for n := 0; rows.Next(); n++ {
		if n&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		cols, err := rows.Columns()
		if err != nil {
			return malformed("row %d: %v", n+1, err)
		}
		for _, c := range cols {
			if c != "" {
				if err := t.raw(c); err != nil {
					return err
				}
			}
			t.sep(sepTab)
		}
		t.sep(sepLine)
	}
	if err := rows.Error(); err != nil {
		return malformed("rows: %v", err)
	}
	return nil
}
