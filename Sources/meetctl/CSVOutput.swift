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
    func writeCSV(_ text: String) throws { try writeCSV { try $0(text) } }

    /// CSV written as `produce` hands it over, a part at a time (a page of the service's CSV), so
    /// meetctl holds one part at once whatever the document's size: on stdout as each part comes
    /// (a failure part-way ends with the exit status saying so), or into a file beside `--output
    /// FILE` that is moved into place once whole and removed if not.
    func writeCSV(_ produce: ((String) throws -> Void) throws -> Void) throws {
        let mark = invocation.wantsBOM ? CSVWriter.byteOrderMark : ""
        guard let path = invocation.string("output") else {
            var first = true
            try produce { part in
                writeDocument(first ? mark + part : part)
                first = false
            }
            return
        }
        let partial = path + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: partial, contents: Data(mark.utf8)), let file = FileHandle(forWritingAtPath: partial) else {
            throw cannotWrite(path, "cannot create \(partial) beside it")
        }
        do {
            try fileStep(path) { _ = try file.seekToEnd() }
            try produce { part in try fileStep(path) { try file.write(contentsOf: Data(part.utf8)) } }
            try fileStep(path) {
                try file.synchronize()
                try file.close()
                // rename(2) puts the whole file in place at once, over an older one.
                guard rename(partial, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            }
        } catch {
            try? file.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        out.error("Wrote \(path)\(invocation.wantsBOM ? " (UTF-8 with a byte-order mark)" : "").")
    }

    /// A step of writing `path`: a failure says the file system's own reason ("Permission
    /// denied"), not Foundation's wrapper of it.
    private func fileStep(_ path: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            throw cannotWrite(path, ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError ?? error as NSError).localizedDescription)
        }
    }

    private func cannotWrite(_ path: String, _ reason: String) -> ToolError {
        ToolError(message: "cannot write \(path): \(reason)", hint: "check that its folder exists and you may write there")
    }
}
