import Core
import Foundation

extension Session {
    /// A document (CSV, an .ics) on standard output: exact bytes for a pipe or a file; at a terminal,
    /// another person's text must not reach it as control sequences (the exact file is one
    /// redirection or --output away).
    func writeDocument(_ document: String) {
        out.exact(isatty(STDOUT_FILENO) != 0 ? TerminalText.document(document) : document)
    }

    /// CSV for a spreadsheet: on stdout, or into `--output FILE` (written whole, then moved into
    /// place, so a reader never sees half a file). With a UTF-8 byte-order mark when asked
    /// (`--bom`), and by default into a file (`--no-bom` leaves it out).
    func writeCSV(_ text: String) throws {
        let document = (invocation.wantsBOM ? CSVWriter.byteOrderMark : "") + text
        guard let path = invocation.string("output") else {
            writeDocument(document)
            return
        }
        do {
            try document.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            // The file system's own reason ("Permission denied"), not Foundation's wrapper of it.
            let reason = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError ?? error as NSError).localizedDescription
            throw ToolError(message: "cannot write \(path): \(reason)", hint: "check that its folder exists and you may write there")
        }
        out.error("Wrote \(path)\(invocation.wantsBOM ? " (UTF-8 with a byte-order mark)" : "").")
    }
}
