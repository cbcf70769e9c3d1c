import Core
import Postgres

/// The advisory lock classes: what a transaction-scoped advisory lock protects. This is the one
/// list of them; the SQL lock functions take the numbers from here.
///
/// Lock order, the same for every request so two requests never wait on each other in a
/// circle: the caller's idempotency key, the community's scheduler run, the counted bookings of the user and of the student
/// a meeting is for (in id order), the expert's calendar,
/// the meeting's row, the user's wallet, the catalog entries the step books (shared, in id
/// order), then the ledger's account rows in id order. Rows are locked FOR NO KEY UPDATE, as an
/// UPDATE of them locks them: a row only referring to a locked one (an outbox message naming a
/// meeting, an event) is written beside the lock without waiting for it. A chat step: the key, the pair whose
/// conversation it may start, then the community's chat messages. A retirement takes its catalog
/// entry alone (after the key's lock).
public enum LockClass: Int32, Sendable, CaseIterable {
    /// One expert's calendar: overlap and availability checks and the writes that follow them.
    case expertCalendar = 0
    /// What is counted per user: bookings toward the weekly limit, no-shows toward a suspension.
    case userBookings = 2
    /// One caller's idempotency key: a retry waits for the first attempt and then replays it.
    case idempotencyKey = 7
    /// The conversation of one user and one expert, while a step may start it (after the key's
    /// lock; a chat step takes no other but `chatMessages`, last).
    case conversationPair = 40
    /// A community's people, services, locations and enrolments as imports decide over them: an
    /// import, person.create, service.create and update, location.create, the enrolment steps and
    /// student.link take it first (after the key's lock), so each reads what the last wrote.
    case directory = 41
    /// A community's scheduler run: two `jobs.run_due` calls of one community take turns (after
    /// the key's lock, before the series' parties), so each reads what the last queued.
    case jobs = 42
    /// A community's chat messages, from a post's locks to its commit: messages are numbered in
    /// the order they commit, so a list paged by number never skips one committed late.
    case chatMessages = 43
    /// A community's bootstrap by its name: two `meetingd bootstrap` runs for one community take
    /// turns, so the second finds what the first made.
    case bootstrap = 44
    /// A service or a location as bookings read it: a step that books for a service or at a
    /// location holds it shared, a retirement takes it exclusively, so the retirement's list of
    /// what it leaves waiting has every request that did not see it.
    case catalogEntry = 45
}

// Outside these classes, in the two-key form: a writer of a community's transfers holds
// (`ml_ledger_writers_class(community)`, its backend pid) from before it takes its time to its
// commit (inside `ledger_apply`), and a read as of a past time waits for the writers holding one
// when it starts (`ml_ledger_settle`: each taken at session level and given back at once).

public enum Locks {
    /// The subject of an idempotency key lock: the caller and their key.
    public static func keySubject(actorId: String, key: String?) -> String? { key.map { actorId + "/" + $0 } }

    /// The locks of a step that books for a user (and the student it is for, whose bookings are
    /// counted) with an expert (the key first when given), then the catalog entries it books
    /// (its service and location), shared, in the same statement.
    public static func parties(
        communityId: String, keySubject: String?, userId: String?, expertId: String?, studentId: String? = nil, catalog: [String?] = []
    ) -> Statement {
        var params: [any PostgresBindable] = [
            communityId, keySubject, userId, expertId, LockClass.idempotencyKey.rawValue, LockClass.userBookings.rawValue, LockClass.expertCalendar.rawValue,
        ]
        // Without a student, the form every schema since 0007 has.
        var sql = "SELECT ml_lock_parties($1, $2, $3, $4, $5, $6, $7"
        if let studentId {
            params.append(studentId)
            sql += ", $\(params.count)"
        }
        sql += ")"
        let entries = Set(catalog.compactMap { $0 }).sorted()
        if !entries.isEmpty {
            params.append(LockClass.catalogEntry.rawValue)
            let classParam = params.count
            for entry in entries {
                params.append(entry)
                sql += ", \(sharedLock(subject: "$\(params.count)", classParam: classParam))"
            }
        }
        return Statement(sql, params)
    }

    /// The locks of a step on one existing meeting: its parties' locks, its row and the wallet,
    /// then its service and location and the catalog entries the step may move it to (`also`: a
    /// confirm's other location), shared, in id order. The function reads the meeting's entries
    /// in a statement of its own after the waits, so they are those of the meeting as it is.
    public static func meeting(communityId: String, meetingId: String, keySubject: String?, also: [String] = []) -> Statement {
        Statement(
            "SELECT ml_lock_meeting($1, $2, $3, $4, $5, $6, $7, $8::text[])",
            [communityId, meetingId, keySubject, LockClass.idempotencyKey.rawValue, LockClass.userBookings.rawValue,
             LockClass.expertCalendar.rawValue, LockClass.catalogEntry.rawValue, PostgresTextArray(also)])
    }

    /// A transaction-scoped shared advisory lock on `subject` of the community in `$1`, keyed as
    /// `ml_lock` keys its exclusive one (PostgreSQL's own function: a statement every schema
    /// serves).
    static func sharedLock(subject: String, classParam: Int) -> String {
        "pg_advisory_xact_lock_shared(hashtextextended($1 || '/' || \(subject), $\(classParam)))"
    }

    /// The locks of cancelling a meeting: those of its series' step when it is a weekly
    /// occurrence (the cancel reaches every later one), else those of one meeting.
    public static func meetingOrSeries(communityId: String, meetingId: String, keySubject: String?) -> Statement {
        Statement(
            "SELECT ml_lock_meeting_series($1, $2, $3, $4, $5, $6)",
            [communityId, meetingId, keySubject, LockClass.idempotencyKey.rawValue, LockClass.userBookings.rawValue,
             LockClass.expertCalendar.rawValue])
    }

    /// A retirement's lock on the service or location it retires: it waits for the bookings
    /// that read it, and they for it (`catalogEntry`).
    public static func catalogEntry(communityId: String, id: String) -> Statement {
        Statement("SELECT ml_lock($1, $2, $3)", [communityId, id, LockClass.catalogEntry.rawValue])
    }

    /// A service's retirement (or its return): the community's directory first, as an import and
    /// service.update take it (an import that read the service active wrote its row over a
    /// retirement made meanwhile), then the entry's lock as `catalogEntry`; one statement, the
    /// two in that order.
    public static func directoryAndCatalogEntry(communityId: String, id: String) -> Statement {
        Statement(
            "SELECT ml_lock($1, 'directory', $2), ml_lock($1, $3, $4)",
            [communityId, LockClass.directory.rawValue, id, LockClass.catalogEntry.rawValue])
    }

    /// Only the idempotency key's lock (steps that touch nothing else a lock must protect).
    public static func key(communityId: String, keySubject: String) -> Statement {
        Statement("SELECT ml_lock($1, $2, $3)", [communityId, keySubject, LockClass.idempotencyKey.rawValue])
    }

    /// One expert's calendar alone, for a change to their hours or blocks: it waits for a booking
    /// that read them (which holds the same lock), and a booking waits for it, so a block never
    /// lands beside a request it neither refused nor lists.
    public static func expertCalendar(communityId: String, expertId: String) -> Statement {
        Statement("SELECT ml_lock($1, $2, $3)", [communityId, expertId, LockClass.expertCalendar.rawValue])
    }

    /// A bootstrap's lock, by the community's name (there is no community id yet).
    public static func bootstrap(communityName: String) -> Statement {
        Statement("SELECT ml_lock('bootstrap', $1, $2)", [communityName, LockClass.bootstrap.rawValue])
    }

    /// The community's directory lock (people and services, as imports and creations write them).
    public static func directory(communityId: String) -> Statement {
        Statement("SELECT ml_lock($1, 'directory', $2)", [communityId, LockClass.directory.rawValue])
    }
}
