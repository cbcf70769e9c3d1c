import Core
import XCTest

@testable import Community

/// A community's settings as a domain value: defaults, partial changes, refusals, and a stored
/// document read back the same.
final class CommunitySettingsTests: XCTestCase {
    func testDefaultsFollowTheSpec() {
        let s = CommunitySettings()
        XCTAssertEqual(s.cancellationWindowHours, 48)
        XCTAssertEqual(s.userLateCancelChargePercent, 100)
        XCTAssertEqual(s.reminderUserHours, 24)
        XCTAssertEqual(s.reminderExpertMinutes, 60)
        XCTAssertFalse(s.autoAccept)
        XCTAssertTrue(s.rejectionReasons.contains { $0.code == "schedule_conflict" })
        XCTAssertTrue(s.cancellationReasons.contains { $0.code == "other" })
    }

    func testAChangeKeepsEveryOtherSetting() throws {
        var s = CommunitySettings()
        try s.apply(["auto_accept": true, "labels": ["provider": "Tutor"], "weekly_usage_limit": 3], path: "")
        XCTAssertTrue(s.autoAccept)
        XCTAssertEqual(s.label("provider"), "Tutor")
        XCTAssertEqual(s.label("class"), "Service", "labels not given keep theirs")
        XCTAssertEqual(s.weeklyUsageLimit, 3)
        XCTAssertEqual(s.cancellationWindowHours, 48)
        try s.apply(["weekly_usage_limit": .null], path: "")
        XCTAssertNil(s.weeklyUsageLimit, "null lifts the limit")
    }

    func testBadSettingsAreRefusedNamingTheField() {
        var s = CommunitySettings()
        func field(_ json: JSON) -> String? {
            do { try s.apply(json, path: ""); return nil } catch let e as AppError { return e.details["field"]?.stringValue } catch { return "\(error)" }
        }
        XCTAssertEqual(field(["no_such_setting": 1]), "no_such_setting")
        XCTAssertEqual(field(["platform_fee_percent": 101]), "platform_fee_percent")
        XCTAssertEqual(field(["rejection_reasons": [["code": "x", "label": "X"], ["code": "x", "label": "Y"]]]), "rejection_reasons")
        XCTAssertEqual(field(["slot_minutes": "thirty"]), "slot_minutes")
        // The grid is the same every day: its length divides the day.
        XCTAssertEqual(field(["slot_minutes": 7]), "slot_minutes")
        XCTAssertEqual(field(["slot_minutes": 50]), "slot_minutes")
        XCTAssertNil(field(["slot_minutes": 45]))
        XCTAssertNil(field(["slot_minutes": 40]))
        XCTAssertEqual(field(["session_types": ["Tutoring", "Tutoring"]]), "session_types")
        // A question asked twice could never be answered twice (log_session takes one answer each).
        XCTAssertEqual(field(["feedback_questions": ["How was it?", "How was it?"]]), "feedback_questions")
        // Text people read is never blank or invisible alone (an empty subject tag, title, choice).
        XCTAssertEqual(field(["short_name": "   "]), "short_name")
        XCTAssertEqual(field(["short_name": "\u{200B}"]), "short_name")
        XCTAssertEqual(field(["labels": ["class": "  "]]), "labels.class")
        XCTAssertEqual(field(["rejection_reasons": [["code": "busy", "label": "Busy"], ["code": "x", "label": " \u{2060} "]]]), "rejection_reasons[1].label")
        XCTAssertEqual(field(["cancellation_reasons": [["code": " ", "label": "Other"]]]), "cancellation_reasons[0].code")
        XCTAssertEqual(field(["session_types": ["online", "\u{200B}"]]), "session_types[1]")
        XCTAssertEqual(field(["feedback_questions": ["  "]]), "feedback_questions[0]")
        XCTAssertEqual(s.shortName, CommunitySettings().shortName, "nothing refused was kept")
    }

    /// A stored document outside the rules is refused as unreadable settings (5037) naming the
    /// setting; read setting by setting for a change, the others load and each broken one is
    /// named, and a key no setting has is left out.
    func testAStoredDocumentOutsideTheRulesIsToldSettingBySetting() throws {
        let document: JSON = ["platform_fee_percent": 250, "slot_minutes": 15, "no_show_policy": ["max_no_shows": 1, "window_days": 0, "suspension_days": 2], "legacy": true]
        XCTAssertThrowsError(try CommunitySettings(stored: document)) { error in
            XCTAssertEqual((error as? AppError)?.code, .settingsUnreadable, "\(error)")
        }
        XCTAssertThrowsError(try CommunitySettings(stored: ["platform_fee_percent": 250])) { error in
            XCTAssertEqual((error as? AppError)?.details["field"], "platform_fee_percent")
            XCTAssertEqual((error as? AppError)?.details["reason"], "must be between 0 and 100, got 250")
        }
        // The setting to give again is the document's key, whatever path inside it failed.
        XCTAssertThrowsError(try CommunitySettings(stored: ["rejection_reasons": [["code": "busy"]]])) { error in
            XCTAssertEqual((error as? AppError)?.details["field"], "rejection_reasons[0].label")
            XCTAssertTrue((error as? AppError)?.message.contains("by giving rejection_reasons to community.update_settings") == true, "\(error)")
        }
        XCTAssertThrowsError(try CommunitySettings(stored: "settings")) { error in
            XCTAssertEqual((error as? AppError)?.code, .settingsUnreadable)
            XCTAssertEqual((error as? AppError)?.details["field"], "")
        }
        let loaded = CommunitySettings.loading(stored: document)
        XCTAssertEqual(loaded.settings.slotMinutes, 15, "a setting that loads is kept")
        XCTAssertEqual(loaded.settings.platformFeePercent, CommunitySettings().platformFeePercent, "one that does not keeps its default")
        XCTAssertEqual(loaded.unreadable.keys.sorted(), ["no_show_policy", "platform_fee_percent"])
        XCTAssertEqual(loaded.unreadable["no_show_policy"]?.details["field"], "no_show_policy.window_days")
        XCTAssertEqual(loaded.unreadable["platform_fee_percent"]?.code, .settingsUnreadable)
        XCTAssertEqual(CommunitySettings.loading(stored: [:]).unreadable.count, 0)
        XCTAssertEqual(CommunitySettings.loading(stored: 3).unreadable.keys.sorted(), [""])
    }

    /// A reason code is an identifier (lowercase letters, digits and underscores, at most 64):
    /// one with a space, a capital, a hyphen or an accent is refused naming it, and nothing
    /// changes. A document stored before the rule still loads.
    func testReasonCodesAreIdentifiers() throws {
        var s = CommunitySettings()
        func field(_ json: JSON) -> String? {
            do { try s.apply(json, path: ""); return nil } catch let e as AppError { return e.details["field"]?.stringValue } catch { return "\(error)" }
        }
        for bad in ["bad code", "Illness", "no-show", "zoë", "_\u{200B}", String(repeating: "a", count: 65)] {
            XCTAssertEqual(field(["cancellation_reasons": [["code": "other", "label": "Other"], ["code": .string(bad), "label": "Bad"]]]), "cancellation_reasons[1].code", bad)
            XCTAssertEqual(field(["rejection_reasons": [["code": .string(bad), "label": "Bad"]]]), "rejection_reasons[0].code", bad)
        }
        XCTAssertEqual(s.rejectionReasons, CommunitySettings().rejectionReasons, "nothing refused was kept")
        XCTAssertEqual(s.cancellationReasons, CommunitySettings().cancellationReasons, "nothing refused was kept")
        XCTAssertNil(field(["rejection_reasons": [["code": "schedule_conflict", "label": "Clash"], ["code": "late_2", "label": "Late"], ["code": "x", "label": "X"]]]))
        XCTAssertEqual(s.rejectionReasons.map(\.code), ["schedule_conflict", "late_2", "x"])
        var stored = try CommunitySettings(stored: ["cancellation_reasons": [["code": "bad code", "label": "Bad"]]])
        XCTAssertEqual(stored.cancellationReasons.map(\.code), ["bad code"])
        // Stored before the rule, a code stays when the list is given again (with a new label,
        // or a new reason beside it); a new code must still be an identifier.
        try stored.apply(["cancellation_reasons": [["code": "bad code", "label": "Bad, renamed"], ["code": "late_bus", "label": "Late bus"]]], path: "")
        XCTAssertEqual(stored.cancellationReasons.map(\.code), ["bad code", "late_bus"])
        XCTAssertThrowsError(try stored.apply(["cancellation_reasons": [["code": "bad code", "label": "Bad"], ["code": "new code", "label": "New"]]], path: ""))
        XCTAssertThrowsError(try stored.apply(["rejection_reasons": [["code": "bad code", "label": "Bad"]]], path: ""), "stored in the other list only")
    }

    /// Labels given as an empty object put every label back to its default; given keys change
    /// those and keep the others.
    /// A label inside a sentence is lower-cased word by word, but an acronym or a brand keeps
    /// its capitals ("the MBA candidate", not "the mba candidate").
    func testALabelInsideASentenceKeepsItsAcronyms() throws {
        var s = CommunitySettings()
        try s.apply(["labels": ["user": "MBA Candidate", "provider": "Peer Mentor", "class": "iPad Course"]], path: "")
        XCTAssertEqual(s.word("user"), "MBA candidate")
        XCTAssertEqual(s.word("provider"), "peer mentor")
        XCTAssertEqual(s.word("class"), "iPad course")
        XCTAssertEqual(CommunitySettings().word("user"), "user")
        XCTAssertEqual(CommunitySettings.inSentence("TA"), "TA")
    }

    func testEmptyLabelsPutTheDefaultsBack() throws {
        var s = CommunitySettings()
        try s.apply(["labels": ["provider": "Tutor", "class": "Course"]], path: "")
        try s.apply(["labels": ["user": "Student"]], path: "")
        XCTAssertEqual(s.labels, ["provider": "Tutor", "class": "Course", "user": "Student"])
        try s.apply(["labels": .object([:])], path: "")
        XCTAssertEqual(s.labels, CommunitySettings().labels)
    }

    /// Names people read are stored trimmed, as person names are.
    func testLabelsAndTheShortNameAreStoredTrimmed() throws {
        var s = CommunitySettings()
        try s.apply(["short_name": " AUA ", "labels": ["provider": " Tutor "], "rejection_reasons": [["code": "busy", "label": " Busy "]]], path: "")
        XCTAssertEqual(s.shortName, "AUA")
        XCTAssertEqual(s.label("provider"), "Tutor")
        XCTAssertEqual(s.label("user"), "User", "a label not given is kept")
        XCTAssertEqual(s.rejectionReasons.map(\.label), ["Busy"])
    }

    /// Auto-accept agrees requests without the expert, who is the one to give the session's
    /// details require_confirm_details asks for: the two are not on together, whichever comes second.
    func testAutoAcceptAndRequiredSessionDetailsAreNotOnTogether() throws {
        var s = CommunitySettings()
        try s.apply(["auto_accept": true], path: "")
        var refused = s
        XCTAssertThrowsError(try refused.apply(["require_confirm_details": true], path: "")) { e in
            XCTAssertEqual((e as? AppError)?.details["field"]?.stringValue, "require_confirm_details")
        }
        var fresh = CommunitySettings()
        XCTAssertThrowsError(try fresh.apply(["auto_accept": true, "require_confirm_details": true], path: "")) { e in
            XCTAssertEqual((e as? AppError)?.details["field"]?.stringValue, "auto_accept")
        }
        try s.apply(["auto_accept": false, "require_confirm_details": true], path: "")
        XCTAssertThrowsError(try s.apply(["auto_accept": true], path: "")) { e in
            XCTAssertEqual((e as? AppError)?.details["field"]?.stringValue, "auto_accept")
        }
        // A document stored with both still reads back, and other settings still change on it.
        var stored = CommunitySettings()
        try stored.apply(["auto_accept": true, "require_confirm_details": true], path: "", given: false)
        try stored.apply(["platform_fee_percent": 12], path: "")
        XCTAssertTrue(stored.autoAccept && stored.requireConfirmDetails)
    }

    /// A length stored before the grid had to divide the day still reads back.
    func testAStoredSlotLengthReadsBackAsItWas() throws {
        var s = CommunitySettings()
        try s.apply(["slot_minutes": 30, "short_name": "TP", "time_zone": "Europe/Prague"], path: "")
        guard case .object(var o) = s.json else { return XCTFail("settings are an object") }
        o["slot_minutes"] = 7
        XCTAssertEqual(try CommunitySettings(stored: .object(o)).slotMinutes, 7)
    }

    func testAStoredDocumentReadsBackTheSame() throws {
        var s = CommunitySettings()
        try s.apply(["short_name": "TP", "time_zone": "Europe/Prague", "session_types": ["online"], "require_enrollment": true], path: "")
        let again = try CommunitySettings(stored: s.json)
        XCTAssertEqual(again.json, s.json)
    }

    /// What people read of the settings — labels, short name, session types, questions and
    /// reasons — is given on one line without controls or reordering marks (the params of
    /// community.update_settings), while a document stored before that rule still loads.
    func testGivenTextIsOneLineAndAStoredDocumentStillLoads() throws {
        let given: Schema = .object(CommunitySettings.schemaFields)
        func refusedField(_ json: JSON) -> String? {
            do { try given.validate(json, path: "", limits: .standard); return nil } catch let e as AppError { return e.details["field"]?.stringValue } catch { return "\(error)" }
        }
        XCTAssertEqual(refusedField(["labels": ["provider": "Tu\ntor"]]), "labels.provider")
        XCTAssertEqual(refusedField(["short_name": "TP\u{1B}[2J"]), "short_name")
        XCTAssertEqual(refusedField(["session_types": ["online", "in\u{202E}person"]]), "session_types[1]")
        XCTAssertEqual(refusedField(["feedback_questions": ["How was it?\r\nBcc: x@evil.example"]]), "feedback_questions[0]")
        XCTAssertEqual(refusedField(["rejection_reasons": [["code": "busy", "label": "Busy\u{7}"]]]), "rejection_reasons[0].label")
        XCTAssertNil(refusedField(["labels": ["provider": "Peer Mentor"], "short_name": "Zoë's Tutors", "feedback_questions": ["Était-ce utile ?"]]))
        let stored = try CommunitySettings(stored: ["short_name": "TP\u{1B}[2J", "labels": ["provider": "Tu\ntor"]])
        XCTAssertEqual(stored.shortName, "TP\u{1B}[2J", "an older document is read as it was stored")
        XCTAssertEqual(try CommunitySettings(stored: ["session_types": ["Tutoring", "Tutoring", "Assessment"]]).sessionTypes, ["Tutoring", "Assessment"])
    }
}
