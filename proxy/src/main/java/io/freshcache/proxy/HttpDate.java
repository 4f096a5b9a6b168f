package io.freshcache.proxy;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * HTTP-date (RFC 9110 section 5.6.7): parsing of the three formats a recipient must accept, and
 * generation of the preferred one.
 *
 * <pre>
 * IMF-fixdate  = Sun, 06 Nov 1994 08:49:37 GMT      (preferred; the only one we generate)
 * rfc850-date  = Sunday, 06-Nov-94 08:49:37 GMT     (obsolete)
 * asctime-date = Sun Nov  6 08:49:37 1994           (obsolete)
 * </pre>
 *
 * <p>Rules applied, and why:
 *
 * <ul>
 *   <li>Names of days and months match case-insensitively (RFC 9111 section 4.2: "a cache recipient
 *       SHOULD match the field value case-insensitively").
 *   <li>Only {@code GMT} is accepted as zone (RFC 9111 section 4.2: a date with another zone
 *       abbreviation SHOULD be considered invalid); asctime carries no zone and is UTC.
 *   <li>The day name is checked to be a day name but not checked against the date: the RFC does not
 *       ask for it and real servers get it wrong; the date itself decides.
 *   <li>Impossible dates (31 Feb) and times (24:00:00) are invalid. A leap second {@code :60} is
 *       read as {@code :59}, the nearest earlier representable time (RFC 9111 section 4.2 asks for
 *       "nearest time equal to or earlier").
 *   <li>rfc850's two-digit year is read as the year within 50 years of now, in the past when it
 *       would otherwise be more than 50 years in the future (RFC 9110 section 5.6.7).
 *   <li>Whatever is not exactly one of the three formats (after trimming OWS) is invalid: {@link
 *       #parse} returns {@code null} and each caller applies its field's rule (an invalid Expires is
 *       "already expired", an invalid If-Modified-Since is ignored, an invalid Date is treated as
 *       absent).
 * </ul>
 */
final class HttpDate {
  private static final String[] DAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  private static final String[] LONG_DAYS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
  };
  private static final String[] MONTHS = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"
  };
  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

  private HttpDate() {}

  /** Parses with the current time as the reference for rfc850's two-digit years. */
  static Instant parse(String text) {
    return parse(text, Instant.now());
  }

  /**
   * Parses an HTTP-date in any of the three formats.
   *
   * @param text the field value, or {@code null}
   * @param now the reference for interpreting rfc850's two-digit year
   * @return the instant, or {@code null} if {@code text} is null or not a valid HTTP-date
   */
  static Instant parse(String text, Instant now) {
    if (text == null) {
      return null;
    }
    String s = Fields.trimOws(text);
    int comma = s.indexOf(',');
    if (comma == 3) {
      return imfFixdate(s);
    }
    if (comma > 3) {
      return rfc850(s, comma, now);
    }
    if (comma < 0) {
      return asctime(s);
    }
    return null;
  }

  /** Formats as IMF-fixdate, truncating to the second. Years must be 1..9999. */
  static String format(Instant instant) {
    return IMF_FIXDATE.format(instant);
  }

  /** The length of an IMF-fixdate. */
  static final int IMF_FIXDATE_LENGTH = 29;

  /** The last second {@link #write} formats: 9999-12-31T23:59:59Z. */
  static final long LAST_WRITABLE_SECOND = 253402300799L;

  private static final byte[] DAY_NAMES = "MonTueWedThuFriSatSun".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MONTH_NAMES = "JanFebMarAprMayJunJulAugSepOctNovDec".getBytes(StandardCharsets.US_ASCII);

  /**
   * Writes the IMF-fixdate of {@code epochSecond} (0 to {@link #LAST_WRITABLE_SECOND}), as {@link
   * #format} would, without building a String: hits write stored dates (Last-Modified, Expires)
   * this way rather than keep their text per entry.
   */
  static void write(ByteBuf b, long epochSecond) {
    if (epochSecond < 0 || epochSecond > LAST_WRITABLE_SECOND) {
      throw new IllegalArgumentException("epochSecond: " + epochSecond + " (expected: 0.." + LAST_WRITABLE_SECOND + ")");
    }
    long days = epochSecond / 86400;
    int secondOfDay = (int) (epochSecond % 86400);
    int dayOfWeek = (int) ((days + 3) % 7); // 1970-01-01 was a Thursday; Monday is 0
    // Civil date from days since the epoch (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
    long z = days + 719468;
    long era = z / 146097;
    long dayOfEra = z - era * 146097;
    long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
    long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
    long shifted = (5 * dayOfYear + 2) / 153; // months from March
    int day = (int) (dayOfYear - (153 * shifted + 2) / 5 + 1);
    int month = (int) (shifted < 10 ? shifted + 3 : shifted - 9);
    int year = (int) (yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
    // Set in place after one capacity check: no array per date (hits write two), no check per byte
    // for room.
    b.ensureWritable(IMF_FIXDATE_LENGTH);
    int at = b.writerIndex();
    int dayName = dayOfWeek * 3;
    int monthName = (month - 1) * 3;
    int hour = secondOfDay / 3600;
    int minute = secondOfDay / 60 % 60;
    int second = secondOfDay % 60;
    b.setByte(at, DAY_NAMES[dayName]).setByte(at + 1, DAY_NAMES[dayName + 1]).setByte(at + 2, DAY_NAMES[dayName + 2])
        .setByte(at + 3, ',').setByte(at + 4, ' ')
        .setByte(at + 5, digit(day / 10)).setByte(at + 6, digit(day % 10)).setByte(at + 7, ' ')
        .setByte(at + 8, MONTH_NAMES[monthName]).setByte(at + 9, MONTH_NAMES[monthName + 1])
        .setByte(at + 10, MONTH_NAMES[monthName + 2]).setByte(at + 11, ' ')
        .setByte(at + 12, digit(year / 1000)).setByte(at + 13, digit(year / 100 % 10))
        .setByte(at + 14, digit(year / 10 % 10)).setByte(at + 15, digit(year % 10)).setByte(at + 16, ' ')
        .setByte(at + 17, digit(hour / 10)).setByte(at + 18, digit(hour % 10)).setByte(at + 19, ':')
        .setByte(at + 20, digit(minute / 10)).setByte(at + 21, digit(minute % 10)).setByte(at + 22, ':')
        .setByte(at + 23, digit(second / 10)).setByte(at + 24, digit(second % 10))
        .setByte(at + 25, ' ').setByte(at + 26, 'G').setByte(at + 27, 'M').setByte(at + 28, 'T');
    b.writerIndex(at + IMF_FIXDATE_LENGTH);
  }

  private static byte digit(int v) {
    return (byte) ('0' + v);
  }

  // Sun, 06 Nov 1994 08:49:37 GMT
  private static Instant imfFixdate(String s) {
    if (s.length() != 29 || index(DAYS, s, 0, 3) < 0 || s.charAt(4) != ' ' || s.charAt(7) != ' '
        || s.charAt(11) != ' ' || s.charAt(16) != ' ' || s.charAt(25) != ' '
        || !s.regionMatches(true, 26, "GMT", 0, 3)) {
      return null;
    }
    int day = digits(s, 5, 2);
    int month = index(MONTHS, s, 8, 3);
    int year = digits(s, 12, 4);
    return at(year, month, day, s, 17);
  }

  // Sunday, 06-Nov-94 08:49:37 GMT
  private static Instant rfc850(String s, int comma, Instant now) {
    int p = comma;
    if (index(LONG_DAYS, s, 0, comma) < 0 || s.length() != p + 24 || s.charAt(p + 1) != ' '
        || s.charAt(p + 4) != '-' || s.charAt(p + 8) != '-' || s.charAt(p + 11) != ' '
        || s.charAt(p + 20) != ' ' || !s.regionMatches(true, p + 21, "GMT", 0, 3)) {
      return null;
    }
    int day = digits(s, p + 2, 2);
    int month = index(MONTHS, s, p + 5, 3);
    int yy = digits(s, p + 9, 2);
    if (yy < 0) {
      return null;
    }
    int nowYear = LocalDateTime.ofInstant(now, ZoneOffset.UTC).getYear();
    int year = nowYear - Math.floorMod(nowYear, 100) + yy;
    if (year > nowYear + 50) {
      year -= 100;
    } else if (year <= nowYear - 50) {
      year += 100;
    }
    return at(year, month, day, s, p + 12);
  }

  // Sun Nov  6 08:49:37 1994
  private static Instant asctime(String s) {
    if (s.length() != 24 || index(DAYS, s, 0, 3) < 0 || s.charAt(3) != ' ' || s.charAt(7) != ' '
        || s.charAt(10) != ' ' || s.charAt(19) != ' ') {
      return null;
    }
    int month = index(MONTHS, s, 4, 3);
    int day = s.charAt(8) == ' ' ? digits(s, 9, 1) : digits(s, 8, 2);
    int year = digits(s, 20, 4);
    return at(year, month, day, s, 11);
  }

  /** Combines the parts, reading "HH:MM:SS" at {@code timeAt}; null if anything is out of range. */
  private static Instant at(int year, int month, int day, String s, int timeAt) {
    if (year < 0 || month < 0 || day < 0 || s.charAt(timeAt + 2) != ':' || s.charAt(timeAt + 5) != ':') {
      return null;
    }
    int hour = digits(s, timeAt, 2);
    int minute = digits(s, timeAt + 3, 2);
    int second = digits(s, timeAt + 6, 2);
    if (hour < 0 || minute < 0 || second < 0 || second > 60) {
      return null;
    }
    try {
      return LocalDateTime.of(year, month + 1, day, hour, minute, Math.min(second, 59))
          .toInstant(ZoneOffset.UTC);
    } catch (DateTimeException e) {
      return null; // 31 Feb, 24:00, 00:60 and the like
    }
  }

  /** The value of {@code count} ASCII digits at {@code from}, or -1. */
  private static int digits(String s, int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /** The index in {@code names} of the case-insensitive match of {@code s[from, from+length)}, or -1. */
  private static int index(String[] names, String s, int from, int length) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].length() == length && s.regionMatches(true, from, names[i], 0, length)) {
        return i;
      }
    }
    return -1;
  }
}
