import Foundation
import XCTest

/// SPEC §3.2: `rpc.discover` returns a valid OpenRPC document generated from the registry that
/// dispatches, and SPEC §7's names and required params are the contract front ends rely on.
final class OpenRPCTests: EndToEndTestCase {
    /// SPEC §7: each method and the params the table names for it. `required` must be accepted
    /// as the complete set of required params (a front end sending just these is not refused
    /// for a missing one); `optional` must exist under these names.
    static let contract: [String: (required: [String], optional: [String])] = [
        "rpc.discover": ([], []),
        "system.ping": ([], []),
        "community.get": ([], []),
        "community.update_settings": ([], ["auto_accept", "cancellation_window_hours", "user_late_cancel_charge_percent",
            "platform_fee_percent", "reminder_user_hours", "reminder_expert_minutes", "min_notice_minutes", "horizon_days",
            "slot_minutes", "require_enrollment", "allow_expert_filter", "require_session_log", "no_show_policy",
            "weekly_usage_limit", "labels", "short_name", "time_zone", "office_email", "rejection_reasons", "cancellation_reasons"]),
        "person.create": (["email", "first_name", "last_name", "roles", "time_zone"], []),
        "person.get": (["person_id"], []),
        "person.list": ([], ["limit", "cursor"]),
        "location.create": (["name", "kind"], []),
        "location.list": ([], ["limit", "cursor"]),
        "service.create": (["name", "kind", "default_length_minutes", "price_credits"], ["expert_id", "skills", "agenda_questions"]),
        "service.list": ([], []),
        "service.certify": (["service_id", "expert_id"], []),
        "service.decertify": (["service_id", "expert_id"], []),
        "enrollment.assign": (["user_id"], ["service_id", "expert_id"]),
        "enrollment.remove": (["user_id"], ["service_id", "expert_id"]),
        // SPEC §7's import.csv, renamed so generated clients can call it (`import` is a keyword);
        // the old name still answers (testRenamedMethodStillAnswersToItsOldName).
        "catalog.import_csv": (["kind", "csv"], []),
        "availability.set_weekly": (["expert_id", "time_zone", "rules"], []),
        "availability.add_free": (["expert_id", "start", "end", "location_ids"], []),
        "availability.block": (["expert_id", "start", "end"], []),
        "availability.remove": (["expert_id", "start", "end"], []),
        "availability.get": (["expert_id", "from", "to"], []),
        "availability.search": (["service_id", "from", "to"], ["location_id", "expert_id", "length_minutes"]),
        "meeting.request": (["service_id", "expert_id", "start", "location_id"], ["length_minutes", "skill", "topic", "agenda_answers", "idempotency_key"]),
        "meeting.propose": (["user_id", "service_id", "start", "length_minutes", "price_credits"], ["skill", "location_id", "note", "from_meeting_id"]),
        "meeting.confirm": (["meeting_id"], ["accept_conflicts"]),
        // The seeds make a reason mandatory when declining or rejecting.
        "meeting.decline": (["meeting_id", "reason_code"], ["note"]),
        "meeting.withdraw": (["meeting_id"], []),
        "meeting.cancel": (["meeting_id", "reason_code"], ["note", "confirm_late"]),
        "meeting.reschedule": (["meeting_id", "start"], ["length_minutes", "note"]),
        "meeting.confirm_alternate": (["meeting_id"], ["accept_conflicts"]),
        "meeting.reject_alternate": (["meeting_id", "reason_code"], []),
        "meeting.withdraw_alternate": (["meeting_id"], []),
        "meeting.log_session": (["meeting_id", "attendance"], ["duration_adjust_minutes", "feedback"]),
        "meeting.report_no_show": (["meeting_id"], []),
        "meeting.get": (["meeting_id"], []),
        "meeting.list": (["role"], ["status", "from", "to", "cursor", "limit"]),
        "meeting.timeline": (["meeting_id"], []),
        "meeting.conflicts": ([], ["meeting_id", "start", "length_minutes"]),
        "meeting.calendar": (["meeting_id"], []),
        "meeting.message.post": (["meeting_id", "text"], []),
        "meeting.message.list": (["meeting_id"], []),
        "meeting.set_video_link": (["meeting_id", "url"], []),
        "series.create": (["service_id", "expert_id", "first_start", "location_id"], ["weeks"]),
        "series.skip": (["series_id", "date"], []),
        "series.cancel": (["series_id", "reason_code"], []),
        "series.get": (["series_id"], []),
        "credits.grant": (["user_id", "credits", "reference"], ["idempotency_key"]),
        "credits.adjust": (["account_id", "credits", "reason"], []),
        "payout.create": (["expert_id", "credits", "reference"], []),
        "ledger.balance": ([], ["account_id", "person_id", "as_of"]),
        "ledger.statement": (["account_id"], ["from", "to", "cursor", "limit", "format"]),
        "ledger.trial_balance": ([], ["as_of"]),
        "ledger.meeting_trail": (["meeting_id"], []),
        "ledger.reconcile": ([], []),
        "outbox.claim": (["consumer", "limit"], ["kinds", "lease_seconds"]),
        "outbox.ack": (["ids"], []),
        "outbox.fail": (["id", "error"], ["retry_after_seconds"]),
        "jobs.run_due": ([], []),
        "clock.set": (["now"], []),
        "clock.advance": (["minutes"], []),
    ]

    /// Methods that change something: SPEC §3.2 says each accepts an idempotency_key.
    static let mutating: Set<String> = [
        "community.update_settings", "person.create", "location.create", "service.create", "service.certify",
        "service.decertify", "enrollment.assign", "enrollment.remove", "catalog.import_csv", "availability.set_weekly",
        "availability.add_free", "availability.block", "availability.remove", "meeting.request", "meeting.propose",
        "meeting.confirm", "meeting.decline", "meeting.withdraw", "meeting.cancel", "meeting.reschedule",
        "meeting.confirm_alternate", "meeting.reject_alternate", "meeting.withdraw_alternate", "meeting.log_session",
        "meeting.report_no_show", "meeting.message.post", "meeting.set_video_link", "series.create", "series.skip",
        "series.cancel", "credits.grant", "credits.adjust", "payout.create", "outbox.ack", "outbox.fail", "jobs.run_due",
        "clock.set", "clock.advance",
    ]

    static let openMethods: Set<String> = ["rpc.discover", "system.ping"]

    struct MethodDoc {
        let name: String
        let params: [String: JSONValue]
        let required: Set<String>
        let errorCodes: Set<Int64>
    }

    func methods(of document: JSONValue) throws -> [String: MethodDoc] {
        guard let list = document["methods"]?.array else { throw HarnessError("no methods in \(document.serialized.prefix(300))") }
        var byName: [String: MethodDoc] = [:]
        for method in list {
            guard let name = method["name"]?.string else { throw HarnessError("a method without a name: \(method)") }
            let params = method["params"]?.array ?? []
            // Errors are references to components.errors.
            let errors = (method["errors"]?.array ?? []).map { e in
                e["$ref"]?.string.map { document["components"]?["errors"]?[String($0.split(separator: "/").last ?? "")] ?? .null } ?? e
            }
            byName[name] = MethodDoc(
                name: name,
                params: Dictionary(params.compactMap { p in p["name"]?.string.map { ($0, p) } }, uniquingKeysWith: { a, _ in a }),
                required: Set(params.filter { $0["required"] == true }.compactMap { $0["name"]?.string }),
                errorCodes: Set(errors.compactMap { $0["code"]?.int }))
        }
        return byName
    }

    func validate(_ document: JSONValue) throws -> ToolResult {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("openrpc-\(UUID().uuidString).json")
        try Data(document.serialized.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try runTool("/usr/bin/env", ["python3", TestEnvironment.repoRoot + "/scripts/validate_openrpc.py", file.path])
    }

    func testDiscoverIsAValidOpenRPCDocument() throws {
        let meetingd = try startMeetingd()
        let document = try Meetingd.result(of: try meetingd.call("rpc.discover"))
        XCTAssertEqual(document["openrpc"], "1.2.6")
        XCTAssertEqual(document["info"]?["title"], "MeetingLedger")
        let validation = try validate(document)
        XCTAssertTrue(validation.succeeded, "rpc.discover fails the OpenRPC meta-schema:\n\(validation.stdout)\(validation.stderr)")
        XCTAssertEqual(validation.stdout, "valid\n")

        // The validator does refuse what is wrong (so "valid" above means something).
        guard case .object(var broken) = document, var list = broken["methods"]?.array, case .object(var first) = list[0] else {
            return XCTFail("unexpected document shape")
        }
        first["paramStructure"] = "sideways"
        first["params"] = [["name": "x", "schema": ["type": 5]]]
        list[0] = .object(first)
        broken["methods"] = .array(list)
        let refused = try validate(.object(broken))
        XCTAssertEqual(refused.termination, .exited(1))
        XCTAssertTrue(refused.stdout.contains("methods/0/paramStructure"), refused.stdout)
        XCTAssertTrue(refused.stdout.contains("methods/0/params/0/schema/type"), refused.stdout)

        // What a schema cannot say is checked too: a schema without a type, a method name a
        // generated client cannot use, an example that does not match its schemas.
        guard case .object(var untyped) = document, case .object(var components)? = untyped["components"],
              case .object(var schemas)? = components["schemas"], case .object(var meeting)? = schemas["Meeting"],
              case .object(var members)? = meeting["properties"], var methodList = untyped["methods"]?.array,
              let importer = methodList.firstIndex(where: { $0["name"] == "catalog.import_csv" }), case .object(var renamed) = methodList[importer]
        else { return XCTFail("unexpected document shape") }
        members["alternate"] = ["description": "null or {start, end, …}"]
        meeting["properties"] = .object(members)
        schemas["Meeting"] = .object(meeting)
        components["schemas"] = .object(schemas)
        untyped["components"] = .object(components)
        renamed["name"] = "import.csv"
        methodList[importer] = .object(renamed)
        untyped["methods"] = .array(methodList)
        let refusedContract = try validate(.object(untyped))
        XCTAssertEqual(refusedContract.termination, .exited(1))
        XCTAssertTrue(refusedContract.stdout.contains("components/schemas/Meeting/properties/alternate: a schema without a type or $ref"), refusedContract.stdout)
        XCTAssertTrue(refusedContract.stdout.contains("'import' is a reserved word"), refusedContract.stdout)

        // `meetingd discover` prints the same document without a database round trip.
        let printed = try runTool(TestEnvironment.meetingdPath, ["discover"])
        XCTAssertTrue(printed.succeeded, printed.stderr)
        XCTAssertEqual(try JSONValue.parse(printed.stdout), document)
    }

    /// Every documented method is dispatched, and its declared required params are exactly what
    /// the service asks for.
    /// The errors a method was seen to return are among those its entry lists (what a front end
    /// and the Python client's "Raises" read).
    func testErrorsMethodsReturnAreListed() throws {
        let w = try MeetingWorld(self, label: #function, settings: ["weekly_usage_limit": 1])
        let document = try Meetingd.result(of: try w.meetingd.call("rpc.discover"))
        func listed(_ method: String) -> Set<Int64> {
            let entry = document["methods"]?.array?.first { $0["name"]?.string == method }
            return Set((entry?["errors"]?.array ?? []).compactMap { e -> Int64? in
                guard let name = e["$ref"]?.string?.split(separator: "/").last.map(String.init) else { return e["code"]?.int }
                return document["components"]?["errors"]?[name]?["code"]?.int
            })
        }
        try w.request(start: MeetingTime.at(day: 7, hour: 10))
        let series = try w.meetingd.error("series.create", as: w.user, [
            "service_id": .string(w.serviceId), "expert_id": .string(w.expert), "first_start": .string(MeetingTime.at(day: 8, hour: 10)),
            "location_id": .string(w.locationId),
        ], code: 4022)
        XCTAssertTrue(listed("series.create").contains(4022), "\(series)")
        // What an error's data holds is published with it (an example of each member).
        func assertDataPublished(_ error: JSONValue, file: StaticString = #filePath, line: UInt = #line) {
            let code = error["data"]?["code"]?.string ?? ""
            let published = Set(document["components"]?["errors"]?[code]?["data"]?.object?.keys.map { $0 } ?? [])
            let sent = Set(error["data"]?.object?.keys.map { $0 } ?? [])
            XCTAssertTrue(sent.isSubset(of: published), "\(code) sends \(sent.subtracting(published).sorted()), not published", file: file, line: line)
        }
        XCTAssertNotNil(series["data"]?["week_start"], "\(series)")
        assertDataPublished(series)
        try w.meetingd.error("outbox.fail", as: w.admin, ["id": .string("out_" + String(repeating: "0", count: 32)), "error": "gone"], code: 4004)
        XCTAssertTrue(listed("outbox.fail").contains(4004))
        let pinned = try startMeetingd(["--pin-actor", w.user])
        try pinned.error("system.ping", as: w.expert, [:], code: 4003)
        XCTAssertTrue(listed("system.ping").contains(4003))
        // An expert_specific service for nobody of the community: 4004, listed.
        try w.meetingd.error("service.create", as: w.admin, [
            "name": "Solo", "kind": "expert_specific", "default_length_minutes": 60, "price_credits": 10,
            "expert_id": .string("per_" + String(repeating: "0", count: 32)),
        ], code: 4004)
        XCTAssertTrue(listed("service.create").contains(4004))
        // Logging a session and reporting a no-show are for a meeting whose time has come: before
        // it they answer 4009, never 4012, and 4012 is not listed for them.
        let agreed = try w.agreed(start: MeetingTime.at(day: 21, hour: 10))
        let early = try w.refuse("meeting.log_session", as: w.expert, agreed, ["attendance": "attended"], code: 4009)
        XCTAssertTrue(early["message"]?.string?.contains("has not started yet") ?? false, "\(early)")
        assertDataPublished(early)
        try w.refuse("meeting.report_no_show", as: w.user, agreed, code: 4009)
        for method in ["meeting.log_session", "meeting.report_no_show"] {
            XCTAssertFalse(listed(method).contains(4012), method)
            XCTAssertTrue(listed(method).contains(4009), method)
        }
        XCTAssertTrue(listed("meeting.cancel").contains(4012))
    }

    /// A refusal says what the reader can do instead: an agreed meeting is cancelled, not
    /// declined or withdrawn; a time taken points to the free times; a started meeting to the
    /// steps left for it.
    func testRefusalsSayWhatToDoInstead() throws {
        let w = try MeetingWorld(self, label: #function)
        let start = MeetingTime.at(day: 7, hour: 10)
        let agreed = try w.agreed(start: start)
        let declined = try w.refuse("meeting.decline", as: w.expert, agreed, ["reason_code": "schedule_conflict"], code: 4009)
        XCTAssertEqual(declined["message"], "Cannot decline a meeting whose status is agreed: cancel it instead (meeting.cancel)")
        let withdrawn = try w.refuse("meeting.withdraw", as: w.user, agreed, code: 4009)
        XCTAssertEqual(withdrawn["message"], "Cannot withdraw a meeting whose status is agreed: cancel it instead (meeting.cancel)")
        // A request is withdrawn by whoever made it and declined by the other side, not cancelled.
        let requested = try MeetingWorld.id(of: w.request(start: MeetingTime.at(day: 8, hour: 10)))
        let own = try w.refuse("meeting.cancel", as: w.user, requested, ["reason_code": "schedule_conflict"], code: 4009)
        XCTAssertEqual(own["message"], "Cannot cancel this meeting: it is not agreed yet; withdraw it instead (meeting.withdraw)")
        let theirs = try w.refuse("meeting.cancel", as: w.expert, requested, ["reason_code": "schedule_conflict"], code: 4009)
        XCTAssertEqual(theirs["message"], "Cannot cancel this meeting: it is not agreed yet; decline it instead (meeting.decline)")
        let taken = try w.meetingd.error("meeting.request", as: w.user, w.requestParams(start: start), code: 4011)
        XCTAssertEqual(taken["message"], "Slot unavailable: the expert already has a meeting or a held request at that time (availability.search lists the times that are free)")
        try w.setClock(MeetingTime.shifted(start, minutes: 5))
        let started = try w.refuse("meeting.cancel", as: w.user, agreed, ["reason_code": "schedule_conflict"], code: 4012)
        XCTAssertTrue(started["message"]?.string?.contains("meeting.log_session") ?? false, "\(started)")
        XCTAssertTrue(started["message"]?.string?.contains("meeting.report_no_show") ?? false, "\(started)")
        let finance = try MeetingWorld.id(of: w.addPerson(roles: ["finance"], firstName: "Fiona"))
        let stranger = try w.meetingd.error("payout.create", as: finance, [
            "expert_id": .string(w.user), "credits": 1, "reference": "bank-1",
        ], code: 4004)
        XCTAssertTrue(stranger["message"]?.string?.hasSuffix("or they are not an expert") ?? false, "\(stranger)")
    }

    func testEveryDocumentedMethodIsCallable() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let documented = try methods(of: try Meetingd.result(of: try meetingd.call("rpc.discover")))
        XCTAssertGreaterThan(documented.count, 10)
        for method in documented.values.sorted(by: { $0.name < $1.name }) {
            let bare = try meetingd.call(method.name, [:])
            XCTAssertNotEqual(bare["error"]?["code"], -32601, "\(method.name) is documented but not dispatched")
            guard !Self.openMethods.contains(method.name) else { continue }
            XCTAssertEqual(bare["error"]?["code"], 4001, "\(method.name) without an actor is unknown_actor (SPEC §3.3): \(bare)")

            // With only the actor, a method with other required params names one of them.
            let missing = method.required.subtracting(["actor"])
            guard !missing.isEmpty else { continue }
            let withActor = try meetingd.call(method.name, as: community.adminId)
            let field = withActor["error"]?["data"]?["field"]?.string ?? ""
            XCTAssertEqual(withActor["error"]?["code"], -32602, "\(method.name) with only an actor: \(withActor)")
            XCTAssertTrue(missing.contains(field), "\(method.name) asks for \(field), the document requires \(missing.sorted())")
        }
        let unknown = try meetingd.call("meeting.nonexistent", [:])
        XCTAssertEqual(unknown["error"]?["code"], -32601, "an undocumented name is not dispatched")
    }

    /// Issue 14: "shared schemas under components.schemas (meeting, person, transfer, account,
    /// alternate, occurrence, …) referenced by $ref; … examples for the main methods".
    func testSharedShapesAreReferencedAndMainMethodsHaveExamples() throws {
        let meetingd = try startMeetingd()
        let document = try Meetingd.result(of: try meetingd.call("rpc.discover"))
        let schemas = try XCTUnwrap(document["components"]?["schemas"])
        for name in ["Meeting", "Alternate", "Person", "Service", "Location", "Transfer", "AccountBalance", "StatementEntry", "Series",
                     "Occurrence", "ChatMessage", "OutboxMessage", "MeetingEvent", "CommunitySettings", "Slot", "WeeklyRule",
                     // The finance reads and the people, catalog and chat methods.
                     "Account", "StatementBound", "BalanceChange", "KindTotals", "RevenueMonth", "SettlementMonth", "EarningsDue",
                     "EarningsTotals", "DeadLetter", "ExpertProfile", "Conversation", "EnrollmentListing", "ImportChange"] {
            XCTAssertEqual(schemas[name]?["type"], "object", "components.schemas.\(name)")
        }
        XCTAssertEqual(schemas["Meeting"]?["properties"]?["alternate"]?["oneOf"]?[0]?["$ref"], "#/components/schemas/Alternate")
        XCTAssertEqual(schemas["Meeting"]?["properties"]?["alternate"]?["type"], ["object", "null"])
        let byName = Dictionary(uniqueKeysWithValues: (document["methods"]?.array ?? []).compactMap { m in m["name"]?.string.map { ($0, m) } })
        for name in ["meeting.request", "meeting.confirm", "meeting.cancel", "meeting.get"] {
            XCTAssertEqual(byName[name]?["result"]?["schema"]?["$ref"], "#/components/schemas/Meeting", name)
        }
        XCTAssertEqual(byName["meeting.list"]?["result"]?["schema"]?["properties"]?["items"]?["items"]?["$ref"], "#/components/schemas/Meeting")
        XCTAssertEqual(byName["credits.grant"]?["result"]?["schema"]?["$ref"], "#/components/schemas/Transfer")
        XCTAssertEqual(byName["ledger.meeting_trail"]?["result"]?["schema"]?["properties"]?["transfers"]?["items"]?["$ref"], "#/components/schemas/Transfer")
        for (method, list) in [("person.profiles", "items"), ("availability.search", "experts")] {
            XCTAssertEqual(byName[method]?["result"]?["schema"]?["properties"]?[list]?["items"]?["$ref"], "#/components/schemas/ExpertProfile", method)
        }
        for method in ["conversation.post", "conversation.start", "meeting.message.post"] {
            XCTAssertEqual(byName[method]?["errors"]?.array?.contains(["$ref": "#/components/errors/session_log_required"]), true, method)
        }
        XCTAssertEqual(byName["person.get"]?["errors"]?.array?.contains(["$ref": "#/components/errors/not_found"]), true)
        XCTAssertEqual(document["components"]?["errors"]?["lock_timeout"]?["data"], ["code": "lock_timeout", "retryable": true])
        for name in ["system.ping", "person.create", "service.create", "credits.grant", "availability.search", "meeting.request", "meeting.confirm",
                     "meeting.cancel", "ledger.balance"] {
            let example = byName[name]?["examples"]?[0]
            XCTAssertNotNil(example?["result"]?["value"], "\(name) has an example pairing params and result")
        }
    }

    /// Issue 14: "method names that generate valid identifiers … keeping the old name working as a
    /// documented alias for one release".
    func testRenamedMethodStillAnswersToItsOldName() throws {
        let community = try bootstrap()
        let meetingd = try startMeetingd()
        let document = try Meetingd.result(of: try meetingd.call("rpc.discover"))
        let names = Set((document["methods"]?.array ?? []).compactMap { $0["name"]?.string })
        XCTAssertTrue(names.contains("catalog.import_csv"))
        XCTAssertFalse(names.contains("import.csv"), "listed as a method, a generator would make client.import of it")
        let importer = try XCTUnwrap(document["methods"]?.array?.first { $0["name"] == "catalog.import_csv" })
        XCTAssertEqual(importer["x-aliases"]?[0]?["name"], "import.csv")
        XCTAssertEqual(importer["x-aliases"]?[0]?["deprecated"], true)
        let csv = "name,kind,default_length_minutes,price_credits\nCHEM101,generic,60,100\n"
        XCTAssertEqual(try meetingd.result("import.csv", as: community.adminId, ["kind": "services", "csv": .string(csv)])["created"], 1)
        XCTAssertEqual(try meetingd.result("catalog.import_csv", as: community.adminId, ["kind": "services", "csv": .string(csv)])["unchanged"], 1)
        // One method under two names: a key used with one name replays under the other.
        let key = ["kind": JSONValue.string("services"), "csv": .string(csv), "idempotency_key": "import-once"]
        let first = try meetingd.result("import.csv", as: community.adminId, key)
        XCTAssertEqual(try meetingd.result("catalog.import_csv", as: community.adminId, key), first)
        // Its export, renamed with it.
        XCTAssertFalse(names.contains("import.export"))
        let exporter = try XCTUnwrap(document["methods"]?.array?.first { $0["name"] == "catalog.export_csv" })
        XCTAssertEqual(exporter["x-aliases"]?[0]?["name"], "import.export")
        XCTAssertEqual(
            try meetingd.result("import.export", as: community.adminId, ["kind": "services"]),
            try meetingd.result("catalog.export_csv", as: community.adminId, ["kind": "services"]))
    }

    func testDocumentHoldsTheContract() throws {
        let meetingd = try startMeetingd()
        let document = try Meetingd.result(of: try meetingd.call("rpc.discover"))
        let documented = try methods(of: document)

        for (name, contract) in Self.contract.sorted(by: { $0.key < $1.key }) {
            guard let method = documented[name] else {
                XCTFail("SPEC §7 method \(name) is not in rpc.discover")
                continue
            }
            for param in contract.required + contract.optional {
                XCTAssertNotNil(method.params[param], "\(name) has the param \(param)")
            }
            let extraRequired = method.required.subtracting(contract.required + ["actor"])
            XCTAssertEqual(extraRequired, [], "\(name) requires params beyond SPEC §7")
            if Self.openMethods.contains(name) {
                XCTAssertFalse(method.required.contains("actor"), "\(name) is open to anyone")
            } else {
                XCTAssertTrue(method.required.contains("actor"), "\(name) requires actor")
                XCTAssertTrue(method.errorCodes.isSuperset(of: [4001, 4003]), "\(name) documents unknown_actor and forbidden")
            }
            if Self.mutating.contains(name) {
                XCTAssertNotNil(method.params["idempotency_key"], "\(name) accepts idempotency_key")
                XCTAssertFalse(method.required.contains("idempotency_key"), "\(name): idempotency_key is optional")
                XCTAssertTrue(method.errorCodes.contains(4090), "\(name) documents idempotency_key_reused")
            }
        }

        // A few schemas in detail.
        let personCreate = try XCTUnwrap(documented["person.create"])
        XCTAssertEqual(personCreate.required, ["actor", "email", "first_name", "last_name", "roles", "time_zone"])
        XCTAssertEqual(personCreate.params["roles"]?["schema"]?["type"], "array")
        XCTAssertEqual(
            Set(personCreate.params["roles"]?["schema"]?["items"]?["enum"]?.array ?? []),
            ["user", "expert", "admin", "finance", "office"])
        XCTAssertEqual(personCreate.params["idempotency_key"]?["schema"]?["maxLength"], 200)
        XCTAssertEqual(documented["location.create"]?.params["kind"]?["schema"]?["enum"], ["in_person", "virtual"])
        XCTAssertEqual(documented["person.list"]?.params["limit"]?["schema"]?["maximum"], 500)
        XCTAssertEqual(documented["person.get"]?.params["person_id"]?["schema"]?["pattern"], "^per_[0-9a-f]{32}$")
        XCTAssertEqual(documented["clock.set"]?.params["now"]?["schema"]?["format"], "date-time")
        XCTAssertEqual(documented["credits.grant"]?.params["credits"]?["schema"]?["maximum"], 1_000_000_000_000)
        XCTAssertTrue(documented["person.get"]?.errorCodes.contains(4004) ?? false, "person.get documents not_found")
    }

    /// What the server refuses, the document says: rules over several params in the method's
    /// description, a param's own rule (an https:// link, credits never 0, an e-mail address as
    /// the server takes one, no NUL in text) in its schema, so a client checking the document
    /// refuses it too. Each refusal is -32602 on the param.
    func testWhatTheServerRefusesTheDocumentSays() throws {
        let w = try MeetingWorld(self, label: #function)
        let document = try Meetingd.result(of: try w.meetingd.call("rpc.discover"))
        func method(_ name: String) -> JSONValue? { document["methods"]?.array?.first { $0["name"]?.string == name } }
        func pattern(_ name: String, _ param: String) throws -> NSRegularExpression {
            let schema = method(name)?["params"]?.array?.first { $0["name"]?.string == param }?["schema"]
            return try NSRegularExpression(pattern: try XCTUnwrap(schema?["pattern"]?.string, "\(name) \(param) has a pattern"))
        }
        func matches(_ regex: NSRegularExpression, _ text: String) -> Bool { regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil }
        let at = MeetingTime.at(day: 8, hour: 10)
        let rules: [(method: String, actor: String, params: [String: JSONValue], field: String, rule: String)] = [
            ("enrollment.assign", w.admin, ["user_id": .string(w.user)], "service_id", "Give exactly one of service_id and expert_id."),
            ("enrollment.remove", w.admin, ["user_id": .string(w.user), "service_id": .string(w.serviceId), "expert_id": .string(w.expert)], "service_id",
             "Give exactly one of service_id and expert_id."),
            ("availability.remove", w.expert, ["expert_id": .string(w.expert), "start": .string(at)], "end", "Give period_id, or start and end, not both."),
            ("availability.remove", w.expert, ["expert_id": .string(w.expert), "period_id": "avl_0193a1c47e2b7d4f9a0b1c2d3e4f2233", "start": .string(at), "end": .string(at)],
             "start", "Give period_id, or start and end, not both."),
            ("meeting.conflicts", w.expert, ["start": .string(at)], "length_minutes", "Give meeting_id, or start and length_minutes."),
            ("meeting.conflicts", w.expert, [:], "meeting_id", "Give meeting_id, or start and length_minutes."),
            ("person.update", w.user, ["person_id": .string(w.user)], "person_id",
             "Give at least one of first_name, last_name, time_zone, email, add_roles or remove_roles."),
        ]
        for r in rules {
            XCTAssertEqual(try w.meetingd.error(r.method, as: r.actor, r.params, code: -32602)["data"]?["field"]?.string, r.field, r.method)
            XCTAssertTrue(method(r.method)?["description"]?.string?.contains(r.rule) ?? false, "\(r.method): \(method(r.method)?["description"] ?? .null)")
        }

        let meetingId = try MeetingWorld.id(of: w.request(start: at))
        let http = try w.meetingd.error("meeting.set_video_link", as: w.admin, ["meeting_id": .string(meetingId), "url": "http://video.example.com/1"], code: -32602)
        XCTAssertEqual(http["data"]?["field"], "url")
        XCTAssertFalse(matches(try pattern("meeting.set_video_link", "url"), "http://video.example.com/1"))
        XCTAssertTrue(matches(try pattern("meeting.set_video_link", "url"), "https://video.example.com/1"))

        let wallet = try w.meetingd.result("ledger.balance", as: w.user, ["person_id": .string(w.user)])["accounts"]?[0]?["account_id"]?.string ?? ""
        let zero = try w.meetingd.error("credits.adjust", as: w.finance, ["account_id": .string(wallet), "credits": 0, "reason": "none"], code: -32602)
        XCTAssertEqual(zero["data"]?["field"], "credits")
        let credits = method("credits.adjust")?["params"]?.array?.first { $0["name"]?.string == "credits" }?["schema"]
        XCTAssertEqual(credits?["not"], ["const": 0])

        for address in ["sam@localhost", "sam,o@example.org", "zoë@example.org"] {
            var params = TestCommunity.personParams(roles: ["user"])
            params["email"] = .string(address)
            XCTAssertEqual(try w.meetingd.error("person.create", as: w.admin, params, code: -32602)["data"]?["field"], "email", address)
            XCTAssertFalse(matches(try pattern("person.create", "email"), address), address)
        }
        XCTAssertNil(method("person.create")?["params"]?.array?.first { $0["name"]?.string == "email" }?["schema"]?["format"],
                     "not RFC 5322's format: email, which takes addresses the server refuses")

        let nul = try w.meetingd.error("location.create", as: w.admin, ["name": "Room", "kind": "virtual", "idempotency_key": "a\u{0}b"], code: -32602)
        XCTAssertEqual(nul["data"]?["field"], "idempotency_key")
        XCTAssertFalse(matches(try pattern("location.create", "idempotency_key"), "a\u{0}b"))
        XCTAssertTrue(matches(try pattern("location.create", "idempotency_key"), "any key at all\n"))

        // A report's month: the schema said only "7 characters".
        for name in ["report.revenue_by_month", "report.settlements_by_month"] {
            let refused = try w.meetingd.error(name, as: w.finance, ["from_month": "aaaaaaa"], code: -32602)
            XCTAssertEqual(refused["data"]?["field"], "from_month")
            for param in ["from_month", "to_month"] {
                XCTAssertFalse(matches(try pattern(name, param), "aaaaaaa"), "\(name) \(param)")
                XCTAssertTrue(matches(try pattern(name, param), "2030-03"), "\(name) \(param)")
            }
        }
    }

    /// An expert's profile before they write one shows their first and last name: 401
    /// characters at most, which its published schema (200 characters) refused.
    func testAnUnwrittenProfilesNameFitsItsSchema() throws {
        let w = try MeetingWorld(self, label: #function)
        let document = try Meetingd.result(of: try w.meetingd.call("rpc.discover"))
        var params = TestCommunity.personParams(roles: ["expert"])
        params["first_name"] = .string(String(repeating: "É", count: 200))
        params["last_name"] = .string(String(repeating: "É", count: 200))
        let expert = try XCTUnwrap(try w.meetingd.result("person.create", as: w.admin, params)["id"]?.string)
        let name = try XCTUnwrap(try w.meetingd.result("person.profile", as: w.user, ["person_id": .string(expert)])["display_name"]?.string)
        XCTAssertEqual(name.unicodeScalars.count, 401)
        let declared = try XCTUnwrap(document["components"]?["schemas"]?["ExpertProfile"]?["properties"]?["display_name"]?["maxLength"]?.int)
        XCTAssertGreaterThanOrEqual(declared, Int64(name.unicodeScalars.count))
    }
}
