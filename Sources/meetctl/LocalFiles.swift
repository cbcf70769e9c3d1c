import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// meetctl's own small files, where the XDG base directories say: the saved identity
/// (`meetctl use`) in `$XDG_CONFIG_HOME/meetingledger/meetctl.json` (default `~/.config`), and
/// the last meeting listing, whose row numbers commands accept, in
/// `$XDG_STATE_HOME/meetingledger/last-listing.json` (default `~/.local/state`). Each is one
/// JSON object, replaced whole by a rename, so a reader never sees half of one and two runs
/// writing at once leave one or the other.
enum LocalFiles {
    static let folderName = "meetingledger"

    static var configFile: String? { folder(xdg: "XDG_CONFIG_HOME", fallback: ".config").map { $0 + "/meetctl.json" } }
    static var listingFile: String? { folder(xdg: "XDG_STATE_HOME", fallback: ".local/state").map { $0 + "/last-listing.json" } }

    /// `$VARIABLE/meetingledger` when the variable holds an absolute path (the spec says to
    /// ignore a relative one), else `$HOME/FALLBACK/meetingledger`; nil without either.
    static func folder(xdg variable: String, fallback: String) -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let base = environment[variable], base.hasPrefix("/") { return base + "/" + folderName }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return home + "/" + fallback + "/" + folderName
    }

    /// The object in `path`; nil when there is no file.
    static func read(_ path: String) throws -> [String: JSON]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let text = String(data: data, encoding: .utf8), let object = (try? JSONParser.parse(text))?.objectValue else {
            throw ToolError(message: "\(path) is not what meetctl wrote there (a JSON object)", hint: "remove it; meetctl writes it again when needed")
        }
        return object
    }

    /// Replaces `path` with `object`: written to a file of this process's own beside it, then
    /// renamed over it. The folder is created for this user alone (0700), the file 0600.
    static func write(_ object: [String: JSON], to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let partial = path + ".\(getpid()).partial"
            guard FileManager.default.createFile(atPath: partial, contents: Data((JSON.object(object).serialized() + "\n").utf8), attributes: [.posixPermissions: 0o600])
            else { throw ToolError(message: "cannot write \(partial)") }
            guard rename(partial, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(partial)
                throw ToolError(message: "cannot replace \(path): \(reason)")
            }
        } catch let e as ToolError {
            throw e
        } catch {
            throw ToolError(message: "cannot write \(path): \(error.localizedDescription)")
        }
    }

    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw ToolError(message: "cannot remove \(path): \(String(cString: strerror(errno)))") }
    }
}

/// The meetings of the last table `meetctl meetings` printed, by row, and who listed them.
struct ListingState {
    let actorId: String
    let meetingIds: [String]

    static func load() throws -> ListingState? {
        guard let path = LocalFiles.listingFile, let object = try LocalFiles.read(path) else { return nil }
        guard let actor = object["actor"]?.stringValue, let ids = object["meetings"]?.arrayValue?.compactMap(\.stringValue) else {
            throw ToolError(message: "\(path) holds no listing", hint: "remove it and run meetctl meetings again")
        }
        return ListingState(actorId: actor, meetingIds: ids)
    }

    /// Keeps the listing; a machine without a home for it (no HOME, a read-only one) only loses
    /// row numbers, which the warning says.
    func save(_ out: Output) {
        guard let path = LocalFiles.listingFile else {
            out.error("warning: row numbers are not kept (set HOME or XDG_STATE_HOME); refer to meetings by id")
            return
        }
        do {
            try LocalFiles.write(["actor": .string(actorId), "meetings": .array(meetingIds.map { .string($0) })], to: path)
        } catch let e as ToolError {
            out.error("warning: row numbers are not kept: \(e.message)")
        } catch {
            out.error("warning: row numbers are not kept: \(error)")
        }
    }
}

/// The person meetctl acts as when nothing else says (`meetctl use --as`).
struct SavedIdentity {
    let personId: String
    let email: String?

    static func load() throws -> SavedIdentity? {
        guard let path = LocalFiles.configFile, let object = try LocalFiles.read(path), let actor = object["as"] else { return nil }
        guard let id = actor.stringValue, Identifier.isValid(id, kind: .person) else {
            throw ToolError(message: "\(path): \"as\" is not a person id", hint: "run meetctl use --as PERSON again, or meetctl use --clear")
        }
        return SavedIdentity(personId: id, email: object["email"]?.stringValue)
    }

    func save() throws -> String {
        guard let path = LocalFiles.configFile else {
            throw ToolError(message: "nowhere to keep it: neither XDG_CONFIG_HOME nor HOME is set", hint: "set MEETINGLEDGER_ACTOR instead")
        }
        var object = (try? LocalFiles.read(path)) ?? [:]
        object["as"] = .string(personId)
        object["email"] = email.map { .string($0) } ?? .null
        try LocalFiles.write(object, to: path)
        return path
    }
}
