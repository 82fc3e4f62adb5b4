module example.com/withdep

go 1.21

require example.com/greet v1.2.3

replace example.com/greet v1.2.3 => ../greet
