// Python models for the bridge's event-loop checks (bridge-event-loop.test.ts and
// bench/bridge-event-loop.ts): their replies carry a large body's values back to Node.

/** Answers its input: what comes in goes back out, so both directions carry the body's values. */
export const ECHO = `
def _load_pyfunc(data_path, config=None):
    class Echo:
        def predict(self, data, params=None):
            return data
    return Echo()
`;

/**
 * Answers a dict holding two lists as long as its input (its values as text, and their lengths),
 * or with params {"mode": "dicts"} a list of two dicts each holding one: a 'json' reply whose
 * large lists are not at its top level.
 */
export const DICT_OF_LISTS = `
import numpy as np

def _load_pyfunc(data_path, config=None):
    class Lists:
        def predict(self, data, params=None):
            values = [str(v) for v in np.asarray(data, dtype=object).ravel()]
            lengths = [len(v) for v in values]
            if (params or {}).get("mode") == "dicts":
                return [{"values": values}, {"lengths": lengths, "n": len(values)}]
            return {"values": values, "lengths": lengths}
    return Lists()
`;
