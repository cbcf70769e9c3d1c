import Catalog
import Core
import Pipeline
import Postgres
import RPC
import Store

/// `catalog.import_csv` as a command: the key's and the directory's locks (each import, and every
/// write of a name or an enrolment, reads what the last wrote), one read of what the file names
/// beside the actor's row, `ImportDecider` over the whole file, one write of every row (none for a
/// dry run or a file with problems).
public enum ImportUseCases {
    typealias Read = (rows: [SheetRow], unread: ImportProblems)

    /// The file the context's names were read from, read once: the decision takes it from here
    /// instead of reading the file again while it holds the directory's lock (a file of 10,000
    /// rows took 140–180 ms to read in a debug build). One entry, taken by the decision.
    static let lastRead = Locked<(kind: SheetKind, csv: String, read: Result<Read, Error>)?>(nil)

    /// The file read, or why it cannot be.
    static func parse(_ kind: SheetKind, _ csv: String) -> Result<Read, Error> {
        Result { try Sheet.read(kind, csv: csv) }.map { Read(rows: $0.rows, unread: $0.problems) }
    }

    /// The file read (or why it cannot be), kept for the decision.
    static func read(_ kind: SheetKind, _ csv: String) -> Result<Read, Error> {
        let read = parse(kind, csv)
        lastRead.withLock { $0 = (kind, csv, read) }
        return read
    }

    /// The file as the context read it when it is the same file, otherwise read now.
    static func takeRead(_ kind: SheetKind, _ csv: String) throws -> Read {
        let kept = lastRead.withLock { last -> Result<Read, Error>? in
            defer { last = nil }
            guard let last, last.kind == kind, last.csv.utf8.elementsEqual(csv.utf8) else { return nil }
            return last.read
        }
        return try (kept ?? parse(kind, csv)).get()
    }

    public static func importCSV() -> CommandPlan {
        CommandPlan(
            locks: { scope, _ in scope.keyLock + [Locks.directory(communityId: scope.communityId)] },
            context: { scope, params in
                // A file that cannot be read names nothing: the decision says why, after the role.
                guard let kind = SheetKind(rawValue: try params.string("kind")) else { return nil }
                let rows = (try? read(kind, try params.string("csv")).get())?.rows ?? []
                return ImportStore.context(
                    communityId: scope.communityId, emails: rows.flatMap { row in ["email", "expert_email", "user_email"].map { row[$0] } }.filter { !$0.isEmpty },
                    serviceNames: rows.flatMap { row in [row["name"], row["service"]] }.filter { !$0.isEmpty })
            },
            decide: { ctx, json, params in
                guard let kind = SheetKind(rawValue: try params.string("kind")) else { throw AppError.invalidParams(field: "kind", reason: "is not a kind") }
                let dryRun = params.bool("dry_run")
                do {
                    let (rows, unread) = try takeRead(kind, try params.string("csv"))
                    let plan = try ImportDecider.decide(kind, rows: rows, unread: unread, facts: try ImportStore.decodeContext(json)) { Identifier.make($0) }
                    return Outcome(
                        response: [
                            "kind": .string(kind.rawValue), "dry_run": .bool(dryRun), "created": .int(Int64(plan.count(.create))),
                            "updated": .int(Int64(plan.count(.update))), "unchanged": .int(Int64(plan.count(.unchanged))),
                            "changes": .array(plan.changes.map {
                                ["line": .int(Int64($0.line)), "action": .string($0.action.rawValue), "subject": .string($0.subject)]
                            }),
                        ],
                        apply: dryRun || plan.writes.isEmpty ? nil : ImportStore.apply(communityId: ctx.communityId, plan.writes, now: ctx.now))
                } catch let problems as ImportProblems {
                    throw problems.error
                }
            })
    }
}
