package io.triggers.api.eventtypes;

import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;
import com.networknt.schema.regex.RegularExpressions;
import java.util.regex.Pattern;

/**
 * The {@code pattern} and {@code patternProperties} of organizations' schemas, as the validator's
 * default JDK regular expressions (the same translation of ECMA-262's {@code $} and long-form
 * character properties), but with a bound on the work one match may take. Schemas are the
 * organizations' own, and payloads are checked on the event loops every request shares: a pattern
 * that backtracks catastrophically ({@code (a+)+$} on a long string of {@code a}s) would otherwise
 * hold a core for minutes. A match that reads the value more than {@value #BASE_READS} + {@value
 * #READS_PER_CHAR} × its length characters, or recurses past the thread's stack, counts as not
 * matching (a linear pattern reads each character a few times at most).
 */
final class BoundedRegularExpressions implements RegularExpressionFactory {

    static final long BASE_READS = 1_000_000;
    static final long READS_PER_CHAR = 16;

    static final BoundedRegularExpressions INSTANCE = new BoundedRegularExpressions();

    private BoundedRegularExpressions() {
    }

    @Override
    public RegularExpression getRegularExpression(String regex) {
        Pattern pattern = Pattern.compile(RegularExpressions.replaceLongformCharacterProperties(RegularExpressions.replaceDollarAnchors(regex)));
        return value -> {
            try {
                // find, not matches: a JSON Schema pattern is not anchored.
                return pattern.matcher(new CountedReads(value, BASE_READS + READS_PER_CHAR * value.length())).find();
            } catch (TooManyReads | StackOverflowError e) {
                return false;
            }
        };
    }

    /** A string that refuses to be read more than a number of times. */
    private static final class CountedReads implements CharSequence {

        private final String text;
        private long readsLeft;

        CountedReads(String text, long reads) {
            this.text = text;
            this.readsLeft = reads;
        }

        @Override
        public char charAt(int index) {
            if (--readsLeft < 0) {
                throw TooManyReads.INSTANCE;
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new CountedReads(text.substring(start, end), readsLeft);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** Thrown to stop a match; preallocated, without a stack trace (it is not a failure). */
    private static final class TooManyReads extends RuntimeException {

        static final TooManyReads INSTANCE = new TooManyReads();

        private TooManyReads() {
            super("too many reads", null, false, false);
        }
    }
}
