package io.freshcache.feeds;

/**
 * Counters of a feed (one source, or all together), since it was built.
 *
 * @param changes changes delivered by the sources and handled (rules applied, invalidations done)
 * @param invalidations tags and prefixes invalidated (one per tag or prefix), plus whole-cache clears
 * @param skippedTags filled tags or prefixes that were not valid tags and were skipped (logged)
 * @param errors rules that threw and invalidations that failed
 * @param gaps gaps reported by the sources
 * @param latencySamples how many changes had a commit time, i.e. how many samples the latency
 *     figures below are drawn from (the most recent {@value Feeds#LATENCY_WINDOW} of them)
 * @param latencyMedianMicros median time from commit at the source to invalidation applied, in
 *     microseconds; 0 without samples
 * @param latencyP99Micros 99th percentile of the same, in microseconds; 0 without samples
 */
public record FeedStats(long changes, long invalidations, long skippedTags, long errors, long gaps,
    long latencySamples, long latencyMedianMicros, long latencyP99Micros) {}
