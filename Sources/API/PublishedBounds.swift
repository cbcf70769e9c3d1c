import Core
import Meetings
import Pipeline
import Scheduling

extension API {
    /// The bounds of lists, searches and calendars, for `rpc.discover` to publish.
    public static var publishedBounds: [String: JSON] {
        [
            "page_limit_default": .int(Page.defaultLimit), "page_limit_max": .int(Page.maxLimit),
            "range_days_max": .int(SchedulingLimits.maxRangeDays),
            "search_slots_default": .int(Int64(SchedulingLimits.defaultSlotsPerPage)),
            "search_slots_max": .int(Int64(SchedulingLimits.maxSlotsPerPage)),
            "search_listings_max": .int(Int64(SchedulingLimits.maxListingsPerPage)),
            "search_expert_start_times_max": .int(Int64(SchedulingLimits.maxExpertStartTimes)),
            "availability_periods_max": .int(Int64(SchedulingLimits.maxPeriodsPerAnswer)),
        ]
    }
}

extension API {
    /// The booking rules, each with the paths it is checked on (`BookingRule.applies(to:)`), and
    /// how a price is made: published in `rpc.discover` as `info.x-booking-rules`.
    public static var publishedBookingRules: JSON {
        [
            "paths": .array(BookingPath.allCases.map { .string($0.rawValue) }),
            "rules": .array(BookingRule.allCases.map { rule in
                ["rule": .string(rule.rawValue), "paths": .array(BookingPath.allCases.filter(rule.applies(to:)).map { .string($0.rawValue) })]
            }),
            "price": .string(
                "A meeting's price follows its length: pro rata to the service's price for its default length, rounded up to whole credits "
                    + "(a 60-minute, 100-credit service: 45 minutes cost 75, 50 minutes 84, 4 hours 400), unless the expert's proposal "
                    + "set the price, which then scales the same way from the price and length the proposal set. A meeting moved to another "
                    + "length scales from what it was booked on (the service's price then, or the expert's): a later change to the service's "
                    + "price reaches no meeting already booked, and a price is never scaled from one already rounded for another length "
                    + "(back at its length, a meeting costs what it did). A hold already made stays through a move to another length until the user approves the new price, which the hold then becomes "
                    + "(a user's own counter-offer or new date is that approval; declining returns what was held; `held_credits` says what is held meanwhile)."),
        ]
    }
}
