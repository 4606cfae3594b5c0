"""The pieces of the value function V(D, G) of Eq. 1,

    min_G max_D V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))],

written on D's logits `l` (D = sigmoid(l)) so that nothing overflows when D
saturates: log D = -softplus(-l) and log(1 - D) = -softplus(l).
All functions take batch means, as Algorithm 1's minibatch gradients do.
"""

from keras import ops


def log_d(logits):
    """log D(x) = -softplus(-l)."""
    return -ops.softplus(-logits)


def log_one_minus_d(logits):
    """log(1 - D(x)) = -softplus(l)."""
    return -ops.softplus(logits)


def value_function(real_logits, fake_logits):
    """Minibatch estimate of V(D, G), Eq. 1 (D ascends it, G descends it)."""
    return ops.mean(log_d(real_logits)) + ops.mean(log_one_minus_d(fake_logits))


def discriminator_loss(real_logits, fake_logits):
    """D's loss: 0.5 * (BCE(1, D(x)) + BCE(0, D(G(z)))) = -V(D, G) / 2.

    Minimizing it ascends Eq. 1 in theta_d (Algorithm 1's discriminator
    update); the factor 1/2 is the release's (AdversaryCost2).
    """
    return -0.5 * value_function(real_logits, fake_logits)


def minimax_generator_loss(fake_logits):
    """G's loss from Eq. 1: mean log(1 - D(G(z))), minimized by G.

    It saturates early in learning, when D rejects G's samples confidently
    (section 3).
    """
    return ops.mean(log_one_minus_d(fake_logits))


def non_saturating_generator_loss(fake_logits):
    """G's loss -mean log D(G(z)) (section 3: "train G to maximize log D(G(z))").

    Same fixed point as Eq. 1 but much stronger gradients early in learning;
    the release trains with it.
    """
    return -ops.mean(log_d(fake_logits))


GENERATOR_LOSSES = {
    "non_saturating": non_saturating_generator_loss,
    "minimax": minimax_generator_loss,
}
