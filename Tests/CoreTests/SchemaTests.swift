import Foundation
import XCTest

@testable import Core

final class SchemaTests: XCTestCase {
    let schema: Schema = .object([
        .init("name", .name, required: true),
        .init("credits", .positiveCredits),
        .init("start", .timestamp),
        .init("rules", .list(.object([.init("weekday", .integer(min: 1, max: 7), required: true)]), max: 3)),
        .init("kind", .oneOf(["in_person", "virtual"])),
        .init("person_id", .id(.person)),
        .init("at", .timeOfDay), .init("on", .date), .init("tags", .list(.text(), min: 1, max: 5)),
    ])

    func reason(_ value: JSON) -> (field: String, reason: String)? {
        do {
            try schema.validate(value, path: "", limits: .standard)
            return nil
        } catch let e as AppError {
            return (e.details["field"]?.stringValue ?? "", e.details["reason"]?.stringValue ?? "")
        } catch {
            return ("?", "\(error)")
        }
    }

    func testValidParamsPass() {
        XCTAssertNil(reason(["name": "Room", "credits": 5, "start": "2026-03-08T09:00:00-05:00", "rules": [["weekday": 7]], "kind": "virtual",
                             "person_id": .string("per_" + String(repeating: "a", count: 32))]))
        // null is a value, not a way to leave a param out: a field that may not be null refuses it
        // (an `expected_version: null` would otherwise skip its check).
        XCTAssertEqual(reason(["name": "Room", "credits": nil])?.field, "credits")
        XCTAssertNil(reason(["name": "Room"]), "an optional param left out")
    }

    /// Lengths count Unicode scalars, as the database's char_length does: a name of 29 family
    /// emoji (203 scalars, 29 Characters), of "\r\n" pairs, or of one letter under 300
    /// combining marks is over the 200 a name may have, and is refused here, naming the field,
    /// not by a CHECK constraint as an internal error.
    func testLengthsCountUnicodeScalars() {
        let family = String(repeating: "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}", count: 29)
        XCTAssertEqual(family.count, 29)
        XCTAssertEqual(reason(["name": .string(family)])?.reason, "must have at most 200 characters, got 203")
        XCTAssertEqual(reason(["name": .string("R" + String(repeating: "\r\n", count: 100))])?.reason, "must have at most 200 characters, got 201")
        XCTAssertEqual(reason(["name": .string("e" + String(repeating: "\u{0301}", count: 300))])?.field, "name")
        XCTAssertNil(reason(["name": .string("e" + String(repeating: "\u{0301}", count: 199))]), "200 scalars fit")
    }

    /// A person's name as given reaches other people's mail headers, subjects, calendars and
    /// terminals: one line, without control characters or the marks that reorder text. Names in
    /// any script, with apostrophes, hyphens and joiners, are taken; the published pattern
    /// refuses what this check refuses.
    func testPersonNamesAreOneLineWithoutControlsOrReorderingMarks() throws {
        let name: Schema = .object([.init("first_name", .givenName, required: true)])
        func refusal(_ text: String) -> String? {
            do { try name.validate(["first_name": .string(text)], path: "", limits: .standard); return nil } catch let e as AppError {
                return e.details["reason"]?.stringValue
            } catch { return "\(error)" }
        }
        for good in ["Zoë O'Brien-Łukasz", "José María", "李小龙", "\u{1F468}\u{200D}\u{1F469}", "Anne\u{00A0}Marie", "محمد"] {
            XCTAssertNil(refusal(good), good)
        }
        for bad in ["Eve\r\nBcc: x@y.z", "Tab\there", "a\u{1B}]52;c;x\u{07}", "\u{202E}evE", "x\u{2066}y", "x\u{85}y", "x\u{2028}y", "x\u{200F}", "del\u{7F}"] {
            XCTAssertTrue(refusal(bad)?.hasPrefix("must be one line without control characters") == true, "\(bad.debugDescription): \(String(describing: refusal(bad)))")
        }
        let pattern = try NSRegularExpression(pattern: Schema.linePattern)
        for text in ["Zoë O'Brien-Łukasz", "Eve\r\nBcc", "\u{202E}evE", "x\u{85}y", "李小龙", "x\u{2066}y"] {
            let matches = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
            XCTAssertEqual(matches, refusal(text) == nil, text.debugDescription)
        }
        // Names read back are not checked: what is stored is shown escaped wherever it goes.
        XCTAssertNil(reason(["name": "Eve\r\nBcc"]))
    }

    /// An address is taken only where mail to it can be sent: ASCII, no header specials, a
    /// dotted domain. (Each of the refused ones was once stored, and every mail that copied it
    /// died at delivery.)
    func testEmailAddressesAreOnesMailCanBeSentTo() {
        let email: Schema = .object([.init("email", .email, required: true)])
        func refused(_ address: String) -> Bool { (try? email.validate(["email": .string(address)], path: "", limits: .standard)) == nil }
        for good in ["sam@example.org", "sam.o'neil+tag@mail.example.co.uk", "x_y-z@a.b", "UPPER@Example.ORG"] {
            XCTAssertFalse(refused(good), good)
        }
        for bad in ["a,b@x.test", "zoë@x.test", "sam@exämple.org", "<x>@y.z", "a\"b@x.y", "a b@x.y", "a@localhost", "a@b..c", "a@.b", "@x.y", "a@@x.y",
                    "a@x.y\u{1B}[2J", "a\u{202E}@x.y", "a;b@x.y", "a:b@x.y", "(a)@x.y", "a\\b@x.y"] {
            XCTAssertTrue(refused(bad), bad.debugDescription)
        }
    }

    func testEachProblemNamesItsField() {
        XCTAssertEqual(reason([:])?.field, "name")
        XCTAssertEqual(reason(["name": ""])?.reason, "must not be empty")
        XCTAssertEqual(reason(["name": .string(String(repeating: "x", count: 201))])?.field, "name")
        XCTAssertEqual(reason(["name": "R", "credits": 0])?.field, "credits")
        XCTAssertEqual(reason(["name": "R", "credits": .number("1.5")])?.reason, "must be a whole number between 1 and 1000000000000")
        // A whole number written too long to be read says so, rather than that it is not whole.
        XCTAssertEqual(reason(["name": "R", "credits": .number("5." + String(repeating: "0", count: 100))])?.reason,
                       "is a number written with 102 characters; write a whole number between 1 and 1000000000000 with at most 64 (5, 5.0 or 5e0)")
        XCTAssertEqual(reason(["name": "R", "credits": "5"])?.reason, "must be an integer, not string")
        XCTAssertEqual(reason(["name": "R", "start": "2026-02-30T09:00:00Z"])?.field, "start")
        XCTAssertEqual(reason(["name": "R", "rules": [["weekday": 8]]])?.field, "rules[0].weekday")
        XCTAssertEqual(reason(["name": "R", "rules": [[:], [:], [:], [:]]])?.reason, "must have at most 3 items, got 4")
        XCTAssertEqual(reason(["name": "R", "kind": "'; DROP TABLE people; --"])?.field, "kind")
        XCTAssertEqual(reason(["name": "R", "person_id": .string("mtg_" + String(repeating: "a", count: 32))])?.field, "person_id")
        XCTAssertEqual(reason(["name": "R", "extra": 1])?.reason,
                       "is not a known parameter (known: name, credits, start, rules, kind, person_id, at, on, tags)")
        XCTAssertEqual(reason(["name": "R", "rules": [["weekday": 1, "day": 2]]])?.reason, "is not a known parameter (known: weekday)")
        XCTAssertThrowsError(try Schema.object([]).validate(["x": 1], path: "", limits: .standard)) { error in
            XCTAssertEqual((error as? AppError)?.details["reason"], "is not a known parameter (none is taken here)", "not an empty list of known ones")
        }
        XCTAssertEqual(reason(["name": "a\u{0}b"])?.reason, "must not contain NUL characters")
    }

    /// An unknown param's name is echoed cut to 50 characters, saying so, in data.field and the
    /// message alike: a name of 1,000,000 characters came back whole, twice (a 2 MB answer).
    func testAnUnknownParamsLongNameIsEchoedCut() throws {
        let long = String(repeating: "n", count: 1_000_000)
        let error = try XCTUnwrap(
            { () -> AppError? in
                do { try schema.validate(["name": "R", "rules": [["weekday": 1, long: 2]]], path: "", limits: .standard) } catch { return error as? AppError }
                return nil
            }())
        XCTAssertEqual(error.details["field"]?.stringValue, "rules[0]." + String(repeating: "n", count: 50) + "…")
        XCTAssertEqual(error.details["reason"]?.stringValue, "is not a known parameter (known: weekday); its name is cut here (to at most 50 characters and 200 bytes)")
        // Cut for its bytes (20 family emoji, 500 bytes), it is not said to be cut to 50 characters.
        let families = String(repeating: "👨‍👩‍👧‍👦", count: 20)
        XCTAssertEqual(reason(["name": "R", families: 1])?.reason.hasSuffix("its name is cut here (to at most 50 characters and 200 bytes)"), true)
        XCTAssertLessThan(error.message.utf8.count, 300, error.message.prefix(300).description)
        XCTAssertEqual(reason(["name": "R", String(repeating: "x", count: 50): 1])?.field, String(repeating: "x", count: 50), "50 characters are not cut")
    }

    /// A value that is not one says what one looks like, even when it is too short to be one
    /// ("9:00" is not told it needs 5 characters), and counts read as English.
    func testMessagesSayWhatAValueMustLookLike() {
        XCTAssertEqual(reason(["name": "R", "at": "9:00"])?.reason, "must be a local time HH:MM between 00:00 and 24:00")
        XCTAssertEqual(reason(["name": "R", "on": "2030-3-4"])?.reason, "must be a date YYYY-MM-DD")
        XCTAssertEqual(reason(["name": "R", "person_id": "per_zzz"])?.reason, "must be an id: per_ followed by 32 lowercase hexadecimal digits")
        XCTAssertEqual(reason(["name": "R", "person_id": .string("per_" + String(repeating: "A", count: 32))])?.reason,
                       "must be an id: per_ followed by 32 lowercase hexadecimal digits")
        XCTAssertEqual(reason(["name": "R", "start": "9"])?.field, "start")
        XCTAssertTrue(reason(["name": "R", "start": "9"])?.reason.hasPrefix("must be an RFC 3339 time") ?? false)
        XCTAssertEqual(reason(["name": "R", "tags": []])?.reason, "must have at least 1 item")
        // Too long to be one, it is told so too: "2030-03-27 13:00" was told only "must have at
        // most 10 characters, got 16".
        XCTAssertEqual(reason(["name": "R", "on": "2030-03-27 13:00"])?.reason, "must be a date YYYY-MM-DD")
        XCTAssertEqual(reason(["name": "R", "at": "09:00:00"])?.reason, "must be a local time HH:MM between 00:00 and 24:00")
        XCTAssertEqual(reason(["name": "R", "on": .string(String(repeating: "9", count: 100))])?.reason, "must have at most 10 characters, got 100",
                       "far too long, only its length is told")
        XCTAssertEqual(reason(["name": "R", "at": ""])?.reason, "must be a local time HH:MM between 00:00 and 24:00")
        XCTAssertEqual(reason(["name": ""])?.reason, "must not be empty")
    }

    func testConfiguredStringLimitCapsOrdinaryFieldsOnly() throws {
        var small = Limits()
        small.maxStringLength = 10
        let text: Schema = .object([.init("note", .text(max: 10_000)), .init("csv", .text(max: 1_000_000))])
        XCTAssertThrowsError(try text.validate(["note": .string(String(repeating: "x", count: 11))], path: "", limits: small))
        XCTAssertNoThrow(try text.validate(["csv": .string(String(repeating: "x", count: 50_000))], path: "", limits: small))
    }

    func testPublishedSchemaMatchesTheRules() {
        let published = schema.jsonSchema
        XCTAssertEqual(published["required"], ["name"])
        XCTAssertEqual(published["additionalProperties"], false)
        XCTAssertEqual(published["properties"]?["credits"]?["minimum"], 1)
        XCTAssertEqual(published["properties"]?["kind"]?["enum"], ["in_person", "virtual"])
        XCTAssertEqual(published["properties"]?["person_id"]?["pattern"], "^per_[0-9a-f]{32}$")
    }

    /// A whole number in steps (a meeting's length in 5-minute steps) refuses another, naming
    /// the nearest it takes, and publishes its step as multipleOf; a plain one publishes none.
    func testAStepIsCheckedAndPublished() {
        let length: Schema = .object([.init("length_minutes", .integer(min: 5, max: 1440, step: 5))])
        XCTAssertNoThrow(try length.validate(["length_minutes": 45], path: "", limits: .standard))
        XCTAssertThrowsError(try length.validate(["length_minutes": 7], path: "", limits: .standard)) { error in
            XCTAssertEqual((error as? AppError)?.details["field"], "length_minutes")
            XCTAssertEqual((error as? AppError)?.details["reason"], "must be a multiple of 5, got 7 (the nearest are 5 and 10)")
        }
        let signed: Schema = .object([.init("minutes", .integer(min: -240, max: 240, step: 5))])
        XCTAssertThrowsError(try signed.validate(["minutes": -7], path: "", limits: .standard)) { error in
            XCTAssertEqual((error as? AppError)?.details["reason"], "must be a multiple of 5, got -7 (the nearest are -10 and -5)")
        }
        XCTAssertEqual(length.jsonSchema["properties"]?["length_minutes"]?["multipleOf"], 5)
        XCTAssertNil(schema.jsonSchema["properties"]?["credits"]?["multipleOf"])
    }

    func testNamedSchemasArePublishedOnceAndReferred() {
        let alternate: Schema = .named("Alternate", .object([.init("start", .timestamp, required: true)]))
        let meeting: Schema = .named("Meeting", .object([
            .init("id", .id(.meeting), required: true), .init("alternate", .nullable(alternate), required: true),
            .init("status", .nullable(.oneOf(["agreed"])), required: true),
        ]))
        XCTAssertEqual(meeting.jsonSchema, ["$ref": "#/components/schemas/Meeting"])
        var found: [String: JSON] = [:]
        var conflicts = Set<String>()
        Schema.list(meeting).collectNamedSchemas(into: &found, conflicts: &conflicts)
        XCTAssertEqual(Set(found.keys), ["Meeting", "Alternate"], "a named schema inside another is published too")
        XCTAssertEqual(conflicts, [])
        let published = found["Meeting"]
        XCTAssertEqual(published?["properties"]?["alternate"], ["type": ["object", "null"], "oneOf": [["$ref": "#/components/schemas/Alternate"], ["type": "null"]]])
        XCTAssertEqual(published?["properties"]?["status"]?["type"], ["string", "null"], "a nullable value keeps its type, with null beside it")
        XCTAssertEqual(published?["properties"]?["status"]?["enum"], ["agreed", nil])
        // The same name for another shape is a mistake the collector reports.
        let other: Schema = .named("Alternate", .object([.init("end", .timestamp, required: true)]))
        Schema.object([.init("a", other)]).collectNamedSchemas(into: &found, conflicts: &conflicts)
        XCTAssertEqual(conflicts, ["Alternate"])
        // Validation sees through the name.
        XCTAssertThrowsError(try meeting.validate(["id": "x", "alternate": nil, "status": nil], path: "", limits: .standard))
        XCTAssertThrowsError(try Schema.openObject(description: "any object").validate("text", path: "payload", limits: .standard))
        XCTAssertNoThrow(try Schema.openObject(description: "any object").validate(["k": 1], path: "payload", limits: .standard))
    }

    /// One text per meaning, for idempotency: times in UTC, whole numbers as integers, nested
    /// where the schema says; everything else, and what is canonical already, as it is.
    func testCanonicalFormsOfTimesAndWholeNumbers() throws {
        let schema = Schema.object([
            .init("start", .timestamp), .init("limit", .integer(min: 1, max: 10)), .init("note", .text()),
            .init("times", .list(.nullable(.timestamp))),
        ])
        let given = try JSONParser.parse(#"{"start":"2030-03-11T11:00:00.000+01:00","limit":5.0,"note":"2030-03-11T11:00:00+01:00","times":["2030-03-11T05:00:00-05:00",null],"extra":1.0}"#)
        XCTAssertEqual(schema.canonical(given).serialized(),
                       #"{"extra":1.0,"limit":5,"note":"2030-03-11T11:00:00+01:00","start":"2030-03-11T10:00:00Z","times":["2030-03-11T10:00:00Z",null]}"#)
        let already = try JSONParser.parse(#"{"start":"2030-03-11T10:00:00Z","limit":5}"#)
        XCTAssertEqual(schema.canonical(already), already)
    }

    /// The published schema of a time refuses what the service does: a leap second (RFC 3339's
    /// date-time allows one; no time here can be one).
    func testThePublishedTimePatternRefusesALeapSecond() throws {
        let pattern = try XCTUnwrap(Schema.timestamp.jsonSchema(limits: .standard)["pattern"]?.stringValue)
        let regex = try NSRegularExpression(pattern: pattern)
        func matches(_ text: String) -> Bool { regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil }
        XCTAssertTrue(matches("2030-06-30T23:59:59Z"))
        XCTAssertTrue(matches("2030-06-30T23:59:59.5+02:00"))
        XCTAssertFalse(matches("2030-06-30T23:59:60Z"))
        XCTAssertThrowsError(try Schema.timestamp.validate("2030-06-30T23:59:60Z", path: "now", limits: .standard))
    }

    /// Whether `pattern`, as a client's JSON Schema validator reads it (ICU here; ECMA-262 and
    /// Python `re` read these the same), finds a match in `text`.
    func pattern(_ pattern: String, matches text: String) throws -> Bool {
        let regex = try NSRegularExpression(pattern: pattern)
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// NUL is refused in every string param; the published schema of every string says so: a
    /// pattern of its own that refuses it, or an enum, or the pattern that says only that.
    func testEveryPublishedStringRefusesNUL() throws {
        let strings: [Schema] = [.text(), .text(min: 1, max: 200), .line(), .givenName, .name, .id(.person), .timestamp, .email, .timeOfDay, .date, .month,
                                 .oneOf(["a"]), .https(max: 100, example: "https://x.example/")]
        for schema in strings {
            let published = schema.jsonSchema(limits: .standard)
            guard let pattern = published["pattern"]?.stringValue else {
                XCTAssertNotNil(published["enum"], "\(published): neither a pattern nor an enum")
                continue
            }
            XCTAssertFalse(try self.pattern(pattern, matches: "a\u{0}b"), "\(pattern) takes a NUL")
            XCTAssertThrowsError(try schema.validate("a\u{0}b", path: "p", limits: .standard))
        }
        let text = try XCTUnwrap(Schema.text().jsonSchema(limits: .standard)["pattern"]?.stringValue)
        for given in ["", "any text\r\nat all \u{202E}", "a\u{0}", "\u{0}"] {
            XCTAssertEqual(try self.pattern(text, matches: given), (try? Schema.text().validate(.string(given), path: "p", limits: .standard)) != nil,
                           given.debugDescription)
        }
    }

    /// A month param (the reports' from_month and to_month) publishes the shape it takes: its
    /// schema said only "7 characters", and "aaaaaaa" was refused by the service alone.
    func testThePublishedMonthPatternIsTheServicesRule() throws {
        let published = try XCTUnwrap(Schema.month.jsonSchema(limits: .standard)["pattern"]?.stringValue)
        for (given, taken) in [("2030-03", true), ("0001-01", true), ("9999-12", true), ("2030-13", false), ("2030-00", false), ("0000-06", false),
                               ("aaaaaaa", false), ("2030/03", false), ("2030-3", false), ("+030-03", false), ("２０３０-03", false), ("2030-031", false)] {
            XCTAssertEqual(try pattern(published, matches: given), taken, "the pattern: \(given)")
            XCTAssertEqual((try? Schema.month.validate(.string(given), path: "from_month", limits: .standard)) != nil, taken, "the service: \(given)")
        }
        XCTAssertThrowsError(try Schema.month.validate("2030-3", path: "from_month", limits: .standard)) { error in
            XCTAssertEqual((error as? AppError)?.details["reason"]?.stringValue, Schema.notAMonth, "too short, it is told what a month looks like")
        }
    }

    /// The published pattern of an e-mail address takes what the service takes and refuses what
    /// it refuses (RFC 5322's `format: email` took quoted and dotless addresses it refuses).
    func testThePublishedEmailPatternIsTheServicesRule() throws {
        let published = Schema.email.jsonSchema(limits: .standard)
        let pattern = try XCTUnwrap(published["pattern"]?.stringValue)
        XCTAssertEqual(published["description"]?.stringValue, EmailAddress.description)
        let local64 = String(repeating: "l", count: 64)
        for address in ["sam@example.org", "sam.o'neil+tag@mail.example.co.uk", "x_y-z@a.b", "UPPER@Example.ORG", "a..b@x.y", ".a@x.y", "!#$%&'*+/=?^_`{|}~-@x.y",
                        "a,b@x.test", "zoë@x.test", "sam@exämple.org", "<x>@y.z", "a\"b@x.y", "a b@x.y", "a@localhost", "a@b..c", "a@.b", "a@b.", "@x.y", "a@@x.y",
                        "a@x.y\u{1B}[2J", "a\u{202E}@x.y", "a;b@x.y", "a:b@x.y", "(a)@x.y", "a\\b@x.y", "a[b]@x.y", "a@x_y.z", local64 + "@x.y", local64 + "l@x.y",
                        "a@x.y\u{0}", "a\t@x.y", "a@x.y.", "a@x.y\u{7F}", "a.@x.y", "a.b.c@x.y", ".@x.y", local64 + ".@x.y", String(repeating: "a.", count: 32) + "a@x.y"] {
            XCTAssertEqual(try self.pattern(pattern, matches: address), EmailAddress.isValid(address), address.debugDescription)
        }
    }

    /// A local part is words joined by single dots (RFC 5322's dot-atom): an address with a dot
    /// first, last or beside another would travel unquoted, which mail servers refuse.
    func testAnAddressWithADotAtAnEndOrBesideAnotherIsRefused() {
        for address in [".a@demo.example", "a.@demo.example", "a..b@demo.example", ".@demo.example"] {
            XCTAssertFalse(EmailAddress.isValid(address), address)
        }
        for address in ["a.b@demo.example", "tal.ia+x@demo.example", "a@b.c"] {
            XCTAssertTrue(EmailAddress.isValid(address), address)
        }
    }

    /// A refusal names the part of the rule an address breaks where it is the length before the
    /// @ or the domain's dot (a 65-character local part was told the shape alone, which it had).
    func testAnAddressRefusalNamesTheLengthOrTheDomainsDot() {
        let long = String(repeating: "l", count: 65) + "@x.example"
        XCTAssertEqual(EmailAddress.refusal(long), "must have at most 64 characters before the @ (it has 65)")
        XCTAssertEqual(EmailAddress.refusal("sam@localhost"), "must have a domain with a dot after the @, such as example.org")
        XCTAssertEqual(EmailAddress.refusal("a b@x.y"), EmailAddress.rule, "the shape where that is what it breaks")
        XCTAssertEqual(EmailAddress.refusal(String(repeating: "l", count: 65) + "@x"), EmailAddress.rule, "two things wrong: the whole rule")
        XCTAssertNil(EmailAddress.refusal(String(repeating: "l", count: 64) + "@x.example"))
        XCTAssertThrowsError(try Schema.email.validate(.string(long), path: "email", limits: .standard)) {
            XCTAssertTrue((($0 as? AppError)?.details["reason"]?.stringValue ?? "").contains("at most 64 characters before the @"), "\($0)")
        }
    }

    /// A web address's published pattern takes what `WebAddress.https` takes, and the params
    /// declared with it are refused by the same check, naming the param. (A line break at the
    /// very end is left out: JSON Schema's `$` is ECMA-262's, the end of the text, where ICU's
    /// and Python's also match before a last line break.)
    func testThePublishedWebAddressPatternIsTheServicesRule() throws {
        let schema = Schema.https(max: 2000, example: "https://video.example.com/room-1")
        let pattern = try XCTUnwrap(schema.jsonSchema(limits: .standard)["pattern"]?.stringValue)
        for url in ["https://video.example.com/room-1", "HTTPS://a.b", "https://a.b:443/x?y=1#z", "https://a.b:08080", "https://a.b:65535", "https://a-b.c9.d/%41%7e",
                    "https://a.b/[]@!$&'()*+,;=:~._-", "http://a.b", "javascript:alert(1)", "https://a", "https://-a.b", "https://a-.b", "https://a..b", "https://a.b:0",
                    "https://a.b:65536", "https://a.b:", "https://u:p@a.b", "https://u@a.b/", "https://a.b/x y", "https://a.b/\"", "https://a.b/<", "https://a.b/{}",
                    "https://a.b/|", "https://a.b/^", "https://a.b/`", "https://a.b/\\", "https://a.b/%4", "https://a.b/%zz", "https://a.b/%", "https://a_b.c",
                    "https://a.b/é", "https://a.b/\u{0}", "https://a.b?x", "https://a.b#", "https://a.b/\u{7F}", " https://a.b"] {
            let taken = (try? WebAddress.https(url, field: "url", maxCharacters: 2000, example: "")) != nil
            XCTAssertEqual(try self.pattern(pattern, matches: url), taken, url.debugDescription)
            XCTAssertEqual((try? schema.validate(.string(url), path: "url", limits: .standard)) != nil, taken, url.debugDescription)
        }
        XCTAssertThrowsError(try Schema.object([.init("url", schema)]).validate(["url": "http://a.b"], path: "", limits: .standard)) { error in
            XCTAssertEqual((error as? AppError)?.details["field"], "url")
            XCTAssertEqual((error as? AppError)?.details["reason"], "must be an https:// URL")
        }
    }

    /// A value excluded from a schema (credits.adjust's 0) is refused however it is written, and
    /// published as `not: {const: …}`.
    func testAnExcludedValueIsRefusedAndPublished() {
        let credits = Schema.excluding(0, .integer(min: -10, max: 10))
        XCTAssertEqual(credits.jsonSchema(limits: .standard)["not"], ["const": 0])
        XCTAssertEqual(credits.jsonSchema(limits: .standard)["minimum"], -10)
        for zero: JSON in [0, .number("-0"), .number("0.0"), .number("0e5")] {
            XCTAssertThrowsError(try credits.validate(zero, path: "credits", limits: .standard)) { error in
                XCTAssertEqual((error as? AppError)?.details["reason"], "must not be 0")
            }
        }
        XCTAssertNoThrow(try credits.validate(-3, path: "credits", limits: .standard))
        XCTAssertThrowsError(try credits.validate(11, path: "credits", limits: .standard), "the inner schema's bounds still hold")
    }
}
