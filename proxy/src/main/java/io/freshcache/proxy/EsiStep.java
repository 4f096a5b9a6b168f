package io.freshcache.proxy;

/**
 * What {@link EsiExpansion#enter} returns: the include's {@link EsiExpansion}, or the {@link
 * EsiError} that refuses it. Use {@code if (step instanceof EsiExpansion child) ... else ...}.
 */
sealed interface EsiStep permits EsiExpansion, EsiError {}
