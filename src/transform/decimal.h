// Exact decimal arithmetic on DynamoDB numbers, for the Lua `godwit.decimal`
// type, and the conversion of a Lua float to a Number.
//
// Add, Sub and Mul are exact: a result that needs more than 38 significant
// digits is an error, not a rounding (as boto3's DynamoDB context does). Div
// rounds to 38 significant digits, half to even. Every result must also be
// in DynamoDB's range (1E-130 .. 9.99..E+125).
#ifndef GODWIT_TRANSFORM_DECIMAL_H_
#define GODWIT_TRANSFORM_DECIMAL_H_

#include "godwit/item.h"
#include "godwit/status.h"

namespace godwit::transform_internal {

// Errors (all InvalidArgument): "more than 38 significant digits",
// out of range, "division by zero".
Result<Number> DecimalAdd(const Number& a, const Number& b);
Result<Number> DecimalSub(const Number& a, const Number& b);
Result<Number> DecimalMul(const Number& a, const Number& b);
Result<Number> DecimalDiv(const Number& a, const Number& b);
Number DecimalNeg(const Number& a);

// The Number a Lua float stands for: its exact value when that has at most
// 38 significant digits (so every float that came from an N goes back to the
// same N), else the shortest decimal that reads back as the same float
// (0.1 + 0.2 -> 0.30000000000000004).
// Errors: InvalidArgument for NaN, infinities and values out of DynamoDB's
// range.
Result<Number> NumberFromDouble(double d);

}  // namespace godwit::transform_internal

#endif  // GODWIT_TRANSFORM_DECIMAL_H_
