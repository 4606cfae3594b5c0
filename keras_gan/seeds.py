"""One key per random stream of a run.

A run draws from several streams: each layer's initial weights, the noise z of
the game, each dropout layer's masks, the data order of each epoch, and the
fixed draws of sample grids and evaluations. TensorFlow's stateless RNGs take
a two-integer key `[k, counter]`; if two streams shared `k` (say the user's
`--seed` for both G's first weights and the noise), the first noise minibatch
would be a rescaled copy of G's first weights. `stream_seed(seed, tag)` mixes
a stream's name into the run's seed, so every stream has its own `k`.

No TensorFlow here: the keys are plain integers.
"""

import zlib

import numpy as np


def stream_seed(seed, *tags):
    """A 31-bit integer key for the stream named by `tags` (strings or ints)
    of a run seeded with `seed`; distinct tags give unrelated keys."""
    words = [int(seed)] + [zlib.crc32(str(t).encode()) for t in tags]
    return int(np.random.SeedSequence(words).generate_state(1)[0] >> 1)
