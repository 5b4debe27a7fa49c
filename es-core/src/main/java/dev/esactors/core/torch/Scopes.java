package dev.esactors.core.torch;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/** Working with JavaCPP's PointerScopes, which free every tensor made inside them when they close. */
public final class Scopes {

    private Scopes() {
    }

    /** Takes {@code t} out of {@code scope}, so that it outlives it (its new owner closes it). */
    public static Tensor keep(PointerScope scope, Tensor t) {
        t.retainReference(); // detaching releases the scope's reference: hold one of our own first
        scope.detach(t);
        return t;
    }
}
