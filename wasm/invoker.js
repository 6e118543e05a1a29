// Emscripten JS library (--js-library, after -lembind): the invoker that embind builds for every
// bound function and method, in place of embind's own. It wires the arguments, calls into the
// module and frees what the wiring allocated (a std::string argument's copy in the heap, a smart
// pointer's handle) whether the call returns or throws; embind 3.1.6's invokers free them only
// after a call that returns, so every refused call leaked its string arguments (48-168 bytes per
// call, measured; tests/js/errors-leak.test.mjs). One invoker for every engine: a closure, as
// embind's own with DYNAMIC_EXECUTION=0, so no code is generated at run time.
mergeInto(LibraryManager.library, {
  $craftInvokerFunction__deps: ['$throwBindingError', '$runDestructors'],
  $craftInvokerFunction: function (humanName, argTypes, classType, cppInvokerFunc, cppTargetFunc) {
    if (argTypes.length < 2) throwBindingError(`${humanName}: an invoker needs a return type and a this type`);
    const expected = argTypes.length - 2;
    const isMethod = argTypes[1] !== null && classType !== null;
    const retType = argTypes[0];
    const returns = retType.name !== 'void';
    // Types without a destructorFunction free what they wire through a list of destructors
    // (embind's "destructor stack"); the others are freed one by one with their destructorFunction.
    let useStack = false;
    for (let i = 1; i < argTypes.length; ++i) {
      if (argTypes[i] !== null && argTypes[i].destructorFunction === undefined) useStack = true;
    }
    // callArgs[j] (j >= 1) is the wired value of argTypes[j + shift]: `this` first for a method.
    const shift = isMethod ? 0 : 1;
    let spare = null;
    return function () {
      if (arguments.length !== expected) {
        throwBindingError(`function ${humanName} called with ${arguments.length} arguments, expected ${expected} args!`);
      }
      const destructors = useStack ? [] : null;
      // The arguments' array of the last call that ended, reused (a call made while another is
      // under way, from JS that the first one runs, takes a new one).
      let callArgs = spare;
      spare = null;
      if (callArgs === null) callArgs = [cppTargetFunc];
      let rv;
      try {
        if (isMethod) callArgs.push(argTypes[1]['toWireType'](destructors, this));
        for (let i = 0; i < expected; ++i) callArgs.push(argTypes[i + 2]['toWireType'](destructors, arguments[i]));
        rv = cppInvokerFunc.apply(null, callArgs);
      } finally {
        if (useStack) {
          runDestructors(destructors);
        } else {
          for (let j = 1; j < callArgs.length; ++j) {
            const d = argTypes[j + shift].destructorFunction;
            if (d !== null) d(callArgs[j]);
          }
        }
        callArgs.length = 1;
        spare = callArgs;
      }
      return returns ? retType['fromWireType'](rv) : undefined;
    };
  },
});
