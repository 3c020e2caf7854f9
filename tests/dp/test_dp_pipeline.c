#include <criterion/criterion.h>
Test(dp, placeholder) {}
