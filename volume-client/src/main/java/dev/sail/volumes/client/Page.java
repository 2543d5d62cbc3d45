package dev.sail.volumes.client;

import java.util.List;
import java.util.Optional;

/** One page of a listing or a delta; {@code next} is the cursor for the following page, empty on the last. */
public record Page<T>(List<T> items, Optional<String> next) {
    public Page {
        items = List.copyOf(items);
    }
}
