import './base.css';
import './grids.css';
import './lifecycle.css';
