package dev.sail.volumes.service.store;

import java.util.Objects;

/** Who an API key belongs to: the service's administrator, or a member of one org. */
public sealed interface Caller permits Caller.Admin, Caller.Member {
    /** The administrator: may create orgs, sees no volumes. */
    record Admin() implements Caller {
    }

    /** A member of {@code org}: sees that org's volumes only. */
    record Member(Org org) implements Caller {
        public Member {
            Objects.requireNonNull(org, "org");
        }
    }
}
