import Core
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
            "availability_periods_max": .int(Int64(SchedulingLimits.maxPeriodsPerAnswer)),
        ]
    }
}
