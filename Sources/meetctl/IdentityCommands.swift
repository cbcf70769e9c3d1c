import Core
import Foundation

/// Who meetctl acts as: `use` saves a default identity, `whoami` says who acts and why.
enum IdentityCommands {
    /// `use --as PERSON` checks the person (an e-mail is looked up as the standing actor) and
    /// saves them; `use --clear` forgets.
    @Sendable static func use(_ invocation: Invocation, _ session: Session) throws {
        if invocation.has("clear") {
            guard !invocation.has("as") else { throw UsageError(message: "give --as PERSON or --clear, not both") }
            guard let path = LocalFiles.configFile, var object = try LocalFiles.read(path) else {
                session.out.line("No identity was saved.")
                return
            }
            object["as"] = nil
            object["email"] = nil
            if object.isEmpty { try LocalFiles.remove(path) } else { try LocalFiles.write(object, to: path) }
            session.out.line("Forgot the saved identity (\(path)).")
            return
        }
        guard invocation.has("as") else {
            throw UsageError(message: "use needs --as PERSON (an id per_… or an e-mail), or --clear", hint: "meetctl whoami shows who acts now")
        }
        let person = try session.actor()
        guard let id = person["id"]?.stringValue else { throw ToolError(message: "person.get answered no id") }
        let path = try SavedIdentity(personId: id, email: person["email"]?.stringValue).save()
        if invocation.wantsJSON {
            session.out.json(["as": .string(id), "email": person["email"] ?? .null, "file": .string(path)])
            return
        }
        session.out.line("meetctl acts as \(name(person)) from now on (saved in \(path)).")
        if let overriding = ProcessInfo.processInfo.environment["MEETINGLEDGER_ACTOR"], !overriding.isEmpty {
            session.out.error("note: MEETINGLEDGER_ACTOR is set (\(overriding)) and goes first; unset it for the saved identity to apply")
        }
    }

    /// `whoami`: the acting person, their community, and where meetctl took them from.
    @Sendable static func whoami(_ invocation: Invocation, _ session: Session) throws {
        let person = try session.actor()
        let community = try session.call("community.get")
        let source = try session.actorSource()?.description ?? "-"
        if invocation.wantsJSON {
            session.out.json(["person": person, "community": ["id": community["id"] ?? .null, "name": community["name"] ?? .null], "source": .string(source)])
            return
        }
        var record = person.objectValue ?? [:]
        record["community"] = .string("\(Render.plain(community["name"] ?? .null)) (\(Render.plain(community["id"] ?? .null)))")
        record["source"] = .string(source)
        record["name"] = .string(fullName(person))
        session.out.text(try Render.record(.object(record), [
            Column(header: "Person", key: "id"), Column(header: "Name", key: "name"), Column(header: "Email", key: "email"),
            Column(header: "Roles", key: "roles", format: .compact), Column(header: "Time zone", key: "time_zone"),
            Column(header: "Community", key: "community"), Column(header: "Acting by", key: "source"),
        ], session))
    }

    static func fullName(_ person: JSON) -> String {
        [person["first_name"]?.stringValue, person["last_name"]?.stringValue].compactMap { $0 }.joined(separator: " ")
    }

    /// "Talia Kim <talia@example.org> (per_…)".
    static func name(_ person: JSON) -> String {
        "\(fullName(person)) <\(Render.plain(person["email"] ?? .null))> (\(Render.plain(person["id"] ?? .null)))"
    }
}
