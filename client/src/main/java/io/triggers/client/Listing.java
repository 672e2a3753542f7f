package io.triggers.client;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Everything a cursor-paged list call returns, fetched a page at a time as it is iterated: the
 * next page is requested only when the items of the last one have been taken, and the listing
 * ends after the page without a {@code next_cursor}. Each {@link #iterator()} starts from the first
 * page again.
 */
public final class Listing<T> implements Iterable<T> {

    /** One page: its items and the cursor of the next, or null after the last. */
    record Page<T>(List<T> items, String nextCursor) {
    }

    private final Function<String, Page<T>> fetch;

    Listing(Function<String, Page<T>> fetch) {
        this.fetch = fetch;
    }

    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private Iterator<T> page = List.<T>of().iterator();
            private String cursor;
            private boolean last;

            @Override
            public boolean hasNext() {
                while (!page.hasNext() && !last) {
                    Page<T> next = fetch.apply(cursor);
                    page = next.items().iterator();
                    cursor = next.nextCursor();
                    last = cursor == null || cursor.isEmpty();
                }
                return page.hasNext();
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return page.next();
            }
        };
    }

    /** The items as a sequential stream, fetched as it is consumed. */
    public Stream<T> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED | Spliterator.NONNULL), false);
    }
}
